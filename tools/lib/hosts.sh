# Separate network hosts on one Linux machine, for trying jepa4j across hosts (sourced, not run;
# tools/hosts is its command line, the cross-host tests drive that). Needs root and iproute2.
#
# A host set ID (j4h<owner pid>x<tag>) is N network namespaces ID-h0 .. ID-h<N-1>, each with its
# loopback and one interface eth0 at 10.231.0.(10+i)/24, joined by a bridge inside one more
# namespace ID-sw (the switch): nothing is added to the machine's own network namespace, and the
# addresses exist only inside these namespaces. Every host has its own disk: a tmpfs, shown at the
# same folder (the disk mount point) on every host, each host seeing only its own; everything else
# of the file system is shared (software, and whatever a test treats as a shared mount).
#   hosts_up ID N [disk-size] [I:FOLDER ...]
#                                  make the set (removing first the leftovers of sets whose owner is gone);
#                                  host I's disk is FOLDER (bound, kept at the end) instead of a new tmpfs
#   hosts_run ID I CMD...          run CMD on host I, in a mount namespace of its own with host I's disk
#   hosts_link ID I up|down        connect or cut host I's link to the switch (a partition, not a dead process)
#   hosts_down ID                  end the processes on the set's hosts (by pid), remove namespaces and disks
#   hosts_clean                    remove every set whose owner process is gone
# State: /run/jepa4j-hosts/ID/ (owner pid and start time, disks/hI backing tmpfs, disk = mount point).

hosts_state_root=/run/jepa4j-hosts
hosts_net=10.231.0

hosts_address() { echo "$hosts_net.$((10 + $2))"; }
hosts_disk_at() { echo "$hosts_state_root/$1/disk"; }
hosts_disk_of() { echo "$hosts_state_root/$1/disks/h$2"; }

hosts_die() { echo "hosts: $*" >&2; return 1; }

hosts_check_root() {
  if [[ "$(id -u)" != 0 ]]; then
    hosts_die "separate hosts need root (network and mount namespaces); run as root (CI does)"
    return 1
  fi
  local tool
  for tool in ip nsenter unshare mount; do
    command -v "$tool" >/dev/null 2>&1 || { hosts_die "'$tool' is missing (Debian: apt-get install -y iproute2 util-linux mount)"; return 1; }
  done
}

# start time of a process (field 22 of /proc/PID/stat), empty when it is gone
hosts_start_time() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
  stat="${stat##*) }" # the command name may hold spaces: skip past its closing parenthesis
  # shellcheck disable=SC2086
  set -- $stat
  echo "${20}"
}

hosts_valid_id() {
  [[ "$1" =~ ^j4h[0-9]+x[0-9a-z]{1,8}$ ]] || { hosts_die "host set id '$1' is not j4h<pid>x<tag> (e.g. j4h${$}x1)"; return 1; }
}

# whether the process that owns set ID is still the one that made it
hosts_owner_alive() {
  local id="$1" pid started
  pid="${id#j4h}"
  pid="${pid%%x*}"
  started="$(hosts_start_time "$pid")"
  [[ -n "$started" ]] || return 1
  if [[ -f "$hosts_state_root/$id/owner" ]]; then
    [[ "$(cut -d' ' -f2 "$hosts_state_root/$id/owner")" == "$started" ]] || return 1 # the pid was reused
  fi
  return 0
}

hosts_up() {
  local id="$1" n="$2" size="${3:-256m}" state i spec
  shift 3 || shift $#
  local -A own=()
  for spec in "$@"; do
    [[ "$spec" =~ ^([0-9]+):(.+)$ ]] || { hosts_die "disk '$spec' is not HOST:FOLDER"; return 1; }
    [[ -d "${BASH_REMATCH[2]}" ]] || { hosts_die "disk folder '${BASH_REMATCH[2]}' of host ${BASH_REMATCH[1]} is not a folder"; return 1; }
    own[${BASH_REMATCH[1]}]="$(cd "${BASH_REMATCH[2]}" && pwd)"
  done
  hosts_check_root || return 1
  hosts_valid_id "$id" || return 1
  [[ "$n" =~ ^[1-9][0-9]?$ ]] || { hosts_die "host count '$n' is not 1..99"; return 1; }
  hosts_clean
  state="$hosts_state_root/$id"
  [[ -e "$state" ]] && { hosts_die "host set $id exists already ($state)"; return 1; }
  local pid="${id#j4h}"
  pid="${pid%%x*}"
  mkdir -p "$state/disk" "$state/disks"
  echo "$pid $(hosts_start_time "$pid")" > "$state/owner"
  echo "$n" > "$state/count"
  ip netns add "$id-sw" || return 1
  ip -n "$id-sw" link add br0 type bridge || return 1
  ip -n "$id-sw" link set br0 up || return 1
  ip -n "$id-sw" link set lo up || return 1
  for ((i = 0; i < n; i++)); do
    ip netns add "$id-h$i" || return 1
    ip -n "$id-h$i" link set lo up || return 1
    # the pair is made inside the switch namespace, then one end moves to the host: never in the machine's own
    ip -n "$id-sw" link add "h$i" type veth peer name eth0 netns "$id-h$i" || return 1
    ip -n "$id-sw" link set "h$i" master br0 up || return 1
    ip -n "$id-h$i" addr add "$(hosts_address "$id" "$i")/24" dev eth0 || return 1
    ip -n "$id-h$i" link set eth0 up || return 1
    mkdir -p "$state/disks/h$i"
    if [[ -n "${own[$i]:-}" ]]; then
      mount --bind "${own[$i]}" "$state/disks/h$i" || return 1
    else
      mount -t tmpfs -o "size=$size,mode=0755" "$id-h$i-disk" "$state/disks/h$i" || return 1
    fi
  done
}

hosts_run() {
  local id="$1" i="$2"
  shift 2
  local state="$hosts_state_root/$id"
  [[ -d "$state" ]] || { hosts_die "no host set $id"; return 1; }
  [[ -d "$state/disks/h$i" ]] || { hosts_die "host set $id has no host $i"; return 1; }
  # a mount namespace of its own (private propagation: nothing leaks back to the machine): the
  # host's disk at the mount point, and every host's backing folder hidden under an empty tmpfs
  exec nsenter "--net=/run/netns/$id-h$i" -- unshare --mount --propagation private -- \
    sh -c 'mount --bind "$1" "$2" && mount -t tmpfs -o size=1m,mode=0700 hidden "$3" && shift 3 && exec "$@"' \
    sh "$state/disks/h$i" "$state/disk" "$state/disks" "$@"
}

hosts_link() {
  local id="$1" i="$2" updown="$3"
  [[ "$updown" == up || "$updown" == down ]] || { hosts_die "link state '$updown' is not up or down"; return 1; }
  ip -n "$id-sw" link set "h$i" "$updown"
}

hosts_down() {
  local id="$1" ns pid d
  hosts_valid_id "$id" || return 1
  # the processes left on the set's hosts are ours (started by hosts_run): end them by pid
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$id-(h[0-9]+|sw)$"); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  done
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$id-(h[0-9]+|sw)$"); do
    ip netns del "$ns" 2>/dev/null || true
  done
  local state="$hosts_state_root/$id"
  if [[ -d "$state/disks" ]]; then
    for d in "$state"/disks/h*; do
      [[ -d "$d" ]] || continue
      mountpoint -q "$d" && { umount "$d" 2>/dev/null || umount -l "$d"; }
      # never a recursive delete: a disk that is still mounted (or a bound folder of the user's) stays whole
      rmdir "$d" 2>/dev/null || hosts_die "left $d in place (still mounted or not empty)"
    done
    rmdir "$state/disks" 2>/dev/null || true
  fi
  rm -f "$state/owner" "$state/count"
  rmdir "$state/disk" "$state" 2>/dev/null || true
}

hosts_clean() {
  local ids id
  ids="$( { ls "$hosts_state_root" 2>/dev/null; ip netns list 2>/dev/null | awk '{print $1}' | sed -n 's/^\(j4h[0-9]*x[0-9a-z]*\)-.*/\1/p'; } | sort -u)"
  for id in $ids; do
    [[ "$id" =~ ^j4h[0-9]+x[0-9a-z]{1,8}$ ]] || continue
    if ! hosts_owner_alive "$id"; then
      echo "hosts: removing host set $id (its owner process is gone)" >&2
      hosts_down "$id"
    fi
  done
}
