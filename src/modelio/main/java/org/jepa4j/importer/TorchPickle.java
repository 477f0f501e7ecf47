package org.jepa4j.importer;

import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.Unpickler;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Python objects a {@code torch.save} pickle (protocol 2) refers to, as Java values, read
 * with the Pyrolite unpickler: state dicts become {@link OrderedDict}s of {@link TensorRef}s that
 * point into the archive's storages without reading them. Plain dicts become {@code LinkedHashMap} (in order),
 * lists {@code ArrayList}, tuples {@code Object[]}, ints {@code Integer}/{@code Long}.
 */
public final class TorchPickle {
    private static final short EMPTY_DICT = '}';
    private static final short SETITEMS = 'u';

    private TorchPickle() {
    }

    static {
        // Pyrolite keeps constructors in one process-wide table; these are stateless, so
        // registering them once is harmless to any other Pyrolite user.
        Unpickler.registerConstructor("collections", "OrderedDict", args -> new OrderedDict());
        Unpickler.registerConstructor("torch._utils", "_rebuild_tensor_v2", TorchPickle::rebuildTensor);
        Unpickler.registerConstructor("torch._utils", "_rebuild_tensor", TorchPickle::rebuildTensor);
        Unpickler.registerConstructor("torch._utils", "_rebuild_parameter", args -> args[0]);
        for (StorageType t : StorageType.values()) {
            Unpickler.registerConstructor("torch", t.pythonName, new StorageTypeConstructor(t));
        }
    }

    /** Storage element types with the number of bytes per element (little-endian on disk). */
    public enum StorageType {
        FLOAT("FloatStorage", 4), DOUBLE("DoubleStorage", 8), HALF("HalfStorage", 2),
        BFLOAT16("BFloat16Storage", 2), LONG("LongStorage", 8), INT("IntStorage", 4);

        final String pythonName;
        final int bytes;

        StorageType(String pythonName, int bytes) {
            this.pythonName = pythonName;
            this.bytes = bytes;
        }

        public int bytes() {
            return bytes;
        }

        public String pythonName() {
            return pythonName;
        }
    }

    /**
     * A storage of the archive: entry {@code data/<key>}, {@code numel} elements of {@code type}.
     */
    public record StorageRef(StorageType type, String key, long numel) {
    }

    /**
     * A tensor as {@code torch._utils._rebuild_tensor_v2} describes it: a view of a storage from
     * element {@code offset} with dimensions {@code size} and element strides {@code stride}.
     */
    public record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {
        /** True when the view is the row-major layout of {@code size}. */
        public boolean isContiguous() {
            long expected = 1;
            for (int i = size.length - 1; i >= 0; i--) {
                if (size[i] != 1 && stride[i] != expected) {
                    return false;
                }
                expected *= size[i];
            }
            return true;
        }

        @Override
        public String toString() {
            return "TensorRef[" + storage.type() + " data/" + storage.key() + " offset " + offset + " size "
                    + Arrays.toString(size) + " stride " + Arrays.toString(stride) + "]";
        }
    }

    /**
     * {@code collections.OrderedDict}: insertion-ordered, plus the instance attributes set by the
     * pickle's BUILD (torch state dicts carry {@code _metadata}).
     */
    public static final class OrderedDict extends LinkedHashMap<Object, Object> {
        private static final long serialVersionUID = 1L;
        private final Map<Object, Object> attributes = new LinkedHashMap<>();

        /** Called by Pyrolite for BUILD with the instance's {@code __dict__}. */
        public void __setstate__(HashMap<Object, Object> state) {
            attributes.putAll(state);
        }

        /** As above, for dicts read in order. */
        public void __setstate__(LinkedHashMap<Object, Object> state) {
            attributes.putAll(state);
        }

        /** Instance attributes ({@code _metadata} for a state dict). */
        public Map<Object, Object> attributes() {
            return attributes;
        }
    }

    /** The value of a {@code torch.XStorage} GLOBAL: identifies the storage type. */
    static final class StorageTypeConstructor implements IObjectConstructor {
        final StorageType type;

        StorageTypeConstructor(StorageType type) {
            this.type = type;
        }

        @Override
        public Object construct(Object[] args) {
            throw new PickleException("torch." + type.pythonName + " is only expected as a storage type tag");
        }
    }

    private static Object rebuildTensor(Object[] args) {
        // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        if (args.length < 4 || !(args[0] instanceof StorageRef storage)) {
            throw new PickleException("unexpected _rebuild_tensor_v2 arguments: " + Arrays.deepToString(args));
        }
        long offset = toLong(args[1]);
        long[] size = toLongs(args[2]);
        long[] stride = toLongs(args[3]);
        if (size.length != stride.length) {
            throw new PickleException("tensor size " + Arrays.toString(size) + " and stride "
                    + Arrays.toString(stride) + " differ in rank");
        }
        return new TensorRef(storage, offset, size, stride);
    }

    static long toLong(Object o) {
        if (o instanceof Number n) {
            return n.longValue();
        }
        throw new PickleException("expected an integer, got " + o);
    }

    private static long[] toLongs(Object o) {
        if (o instanceof Object[] a) {
            long[] out = new long[a.length];
            for (int i = 0; i < a.length; i++) {
                out[i] = toLong(a[i]);
            }
            return out;
        }
        throw new PickleException("expected a tuple of integers, got " + o);
    }

    /**
     * Unpickles a {@code data.pkl} of the zip format: persistent ids
     * {@code ('storage', storage_type, key, location, numel)} become {@link StorageRef}s.
     */
    public static Object load(InputStream in) throws IOException {
        Unpickler u = new Unpickler() {
            @Override
            protected Object dispatch(short key) throws PickleException, IOException {
                // Pyrolite gathers SETITEMS into a HashMap and builds dicts as HashMaps, which
                // loses Python's insertion order; state dict order names the optimizer's params.
                if (key == EMPTY_DICT) {
                    stack.add(new LinkedHashMap<>());
                    return NO_RETURN_VALUE;
                }
                if (key == SETITEMS) {
                    java.util.List<Object> items = stack.pop_all_since_marker();
                    @SuppressWarnings("unchecked")
                    Map<Object, Object> dict = (Map<Object, Object>) stack.peek();
                    for (int i = 0; i + 1 < items.size(); i += 2) {
                        dict.put(items.get(i), items.get(i + 1));
                    }
                    return NO_RETURN_VALUE;
                }
                return super.dispatch(key);
            }

            @Override
            protected Object persistentLoad(Object pid) {
                if (!(pid instanceof Object[] t) || t.length < 5 || !"storage".equals(t[0])) {
                    throw new PickleException("unsupported persistent id " + describe(pid)
                            + " (expected ('storage', type, key, location, numel))");
                }
                if (!(t[1] instanceof StorageTypeConstructor type)) {
                    throw new PickleException("unsupported storage type " + t[1] + " for storage '" + t[2]
                            + "' (supported: Float, Double, Half, BFloat16, Long, Int storages)");
                }
                return new StorageRef(type.type, String.valueOf(t[2]), toLong(t[4]));
            }
        };
        try {
            return u.load(in);
        } finally {
            u.close();
        }
    }

    private static String describe(Object o) {
        return o instanceof Object[] a ? Arrays.deepToString(a) : String.valueOf(o);
    }
}
