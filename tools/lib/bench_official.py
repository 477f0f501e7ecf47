"""Times the official I-JEPA training step (facebookresearch/ijepa at 52c1ae9) in float32 and with
the official use_bfloat16 autocast moved to the CPU: torch.autocast('cpu', dtype=torch.bfloat16)
around the same forward passes and loss. Uses the checkout's own modules (models, mask collator,
optimizer set-up, apply_masks); the step is the official train_step (src/train.py:290-336) without
the CUDA pieces. The model, masks and batch are given as options; their defaults are jepa4j's
bench_w192d6 preset (docs/reference.md section 12), and tools/bench-train --official passes those
of the run config it times. --dry-run prints what would be built and timed, without torch.
Run through tools/bench-official; nothing of the official code is copied into jepa4j.
"""
import argparse
import copy
import os
import platform
import statistics
import sys
import time


def cpu_flags():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('flags'):
                    have = set(line.split(':', 1)[1].split())
                    keep = ['amx_bf16', 'amx_int8', 'amx_tile', 'avx512_bf16', 'avx512_vnni', 'avx_vnni', 'avx512f', 'avx2']
                    return ' '.join(f for f in keep if f in have) or 'none'
    except OSError:
        pass
    return 'unknown'


def pair(text):
    """'0.85,1.0' -> (0.85, 1.0)"""
    a, b = (float(v) for v in text.split(','))
    return (a, b)


def setting(a):
    """The constructor arguments of the official encoder, predictor and mask collator."""
    encoder = dict(img_size=[a.image_size], patch_size=a.patch_size, in_chans=a.channels, embed_dim=a.width,
                   depth=a.depth, num_heads=a.heads, mlp_ratio=a.mlp_ratio)
    num_patches = (a.image_size // a.patch_size) ** 2
    predictor = dict(num_patches=num_patches, embed_dim=a.width, predictor_embed_dim=a.pred_width,
                     depth=a.pred_depth, num_heads=a.pred_heads, mlp_ratio=a.pred_mlp_ratio)
    collator = dict(input_size=a.image_size, patch_size=a.patch_size, enc_mask_scale=a.enc_mask_scale,
                    pred_mask_scale=a.pred_mask_scale, aspect_ratio=a.aspect_ratio, nenc=a.num_enc_masks,
                    npred=a.num_pred_masks, min_keep=a.min_keep, allow_overlap=a.allow_overlap == 'true')
    return encoder, predictor, collator


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--official', required=True, help='path of a facebookresearch/ijepa checkout')
    ap.add_argument('--precision', default='fp32,bf16', help='fp32 and/or bf16 (autocast on the CPU)')
    ap.add_argument('--threads', default='1,2', help='torch intra-op thread counts to compare')
    ap.add_argument('--steps', type=int, default=10)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--batch', type=int, default=64)
    # the model and masks; defaults: bench_w192d6 (32x32x3, patch 4, encoder 192 wide / 6 deep / 3 heads,
    # predictor 96 / 4, the reference's mask settings)
    ap.add_argument('--image-size', type=int, default=32)
    ap.add_argument('--patch-size', type=int, default=4)
    ap.add_argument('--channels', type=int, default=3)
    ap.add_argument('--width', type=int, default=192)
    ap.add_argument('--depth', type=int, default=6)
    ap.add_argument('--heads', type=int, default=3)
    ap.add_argument('--mlp-ratio', type=float, default=4.0)
    ap.add_argument('--pred-width', type=int, default=96)
    ap.add_argument('--pred-depth', type=int, default=4)
    ap.add_argument('--pred-heads', type=int, default=3)
    ap.add_argument('--pred-mlp-ratio', type=float, default=4.0)
    ap.add_argument('--enc-mask-scale', type=pair, default=(0.85, 1.0))
    ap.add_argument('--pred-mask-scale', type=pair, default=(0.15, 0.2))
    ap.add_argument('--aspect-ratio', type=pair, default=(0.75, 1.5))
    ap.add_argument('--num-enc-masks', type=int, default=1)
    ap.add_argument('--num-pred-masks', type=int, default=4)
    ap.add_argument('--min-keep', type=int, default=4)
    ap.add_argument('--allow-overlap', choices=['true', 'false'], default='false')
    ap.add_argument('--dry-run', action='store_true', help='print the constructor arguments and exit, without torch')
    a = ap.parse_args()
    encoder_args, predictor_args, collator_args = setting(a)
    print(f'official encoder: VisionTransformer({encoder_args})')
    print(f'official predictor: VisionTransformerPredictor({predictor_args})')
    print(f'official masks: MaskCollator({collator_args}); batch {a.batch}', flush=True)
    if a.dry_run:
        return
    sys.path.insert(0, os.path.abspath(a.official))
    import torch
    import torch.nn.functional as F
    import src.models.vision_transformer as vit
    from src.masks.multiblock import MaskCollator
    from src.masks.utils import apply_masks
    from src.utils.tensors import repeat_interleave_batch
    from src.helper import init_opt

    torch.manual_seed(0)
    collator = MaskCollator(**collator_args)
    batches = []
    for i in range(8):
        imgs = [(torch.randn(a.channels, a.image_size, a.image_size), 0) for _ in range(a.batch)]
        udata, m_enc, m_pred = collator(imgs)
        batches.append((udata[0], m_enc, m_pred))
    # kept tokens per context and target block (the collator cuts each list to the batch minimum)
    kc = statistics.mean(enc[0].shape[1] for _, enc, _ in batches)
    kt = statistics.mean(pred[0].shape[1] for _, _, pred in batches)
    print(f'official masks: mean Kc {kc:.1f}, Kt {kt:.1f} over {len(batches)} batches')

    print(f'torch {torch.__version__}, oneDNN {torch.backends.mkldnn.is_available()}, '
          f'{platform.processor() or platform.machine()}, CPU flags: {cpu_flags()}')
    print(f'official checkout {os.path.abspath(a.official)}; batch {a.batch}, {a.steps} timed steps'
          f' after {a.warmup}')
    rows = []
    for threads in [int(t) for t in a.threads.split(',')]:
        torch.set_num_threads(threads)
        for precision in a.precision.split(','):
            torch.manual_seed(0)
            encoder = vit.VisionTransformer(**encoder_args)
            predictor = vit.VisionTransformerPredictor(**predictor_args)
            target_encoder = copy.deepcopy(encoder)
            for p in target_encoder.parameters():
                p.requires_grad = False
            ipe = 64
            optimizer, scaler, scheduler, wd_scheduler = init_opt(
                encoder=encoder, predictor=predictor, wd=0.04, final_wd=0.4, start_lr=2e-4, ref_lr=1e-3,
                final_lr=1e-6, iterations_per_epoch=ipe, warmup=1, num_epochs=10, ipe_scale=1.0,
                use_bfloat16=False)
            use_bf16 = precision == 'bf16'

            def train_step(imgs, masks_enc, masks_pred):
                scheduler.step()
                wd_scheduler.step()

                def forward_target():
                    with torch.no_grad():
                        h = target_encoder(imgs)
                        h = F.layer_norm(h, (h.size(-1),))
                        B = len(h)
                        h = apply_masks(h, masks_pred)
                        h = repeat_interleave_batch(h, B, repeat=len(masks_enc))
                        return h

                def forward_context():
                    z = encoder(imgs, masks_enc)
                    return predictor(z, masks_enc, masks_pred)

                # src/train.py:316 autocasts on CUDA; the same region on the CPU
                with torch.autocast('cpu', dtype=torch.bfloat16, enabled=use_bf16):
                    h = forward_target()
                    z = forward_context()
                    loss = F.smooth_l1_loss(z, h)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                with torch.no_grad():
                    m = 0.996
                    for q, k in zip(encoder.parameters(), target_encoder.parameters()):
                        k.data.mul_(m).add_((1. - m) * q.detach().data)
                return float(loss)

            times = []
            for i in range(a.warmup + a.steps):
                imgs, m_enc, m_pred = batches[i % len(batches)]
                t0 = time.perf_counter()
                loss = train_step(imgs, m_enc, m_pred)
                dt = time.perf_counter() - t0
                if i >= a.warmup:
                    times.append(dt)
            med = statistics.median(times)
            mean = statistics.mean(times)
            rows.append((threads, precision, mean * 1e3, med * 1e3, a.batch / mean, loss))
            print(f'  threads {threads} {precision}: {mean * 1e3:.0f} ms/step, {a.batch / mean:.1f} images/s', flush=True)

    # the hardware's ceiling in the same process: 1024^3 matmul fp32 and bf16
    print()
    print('| threads | precision | ms/step mean | ms/step median | images/s | last loss | matmul GFLOP/s |')
    print('|---|---|---|---|---|---|---|')
    for threads, precision, mean, med, ips, loss in rows:
        torch.set_num_threads(threads)
        x = torch.randn(1024, 1024)
        w = torch.randn(1024, 1024)
        if precision == 'bf16':
            x, w = x.bfloat16(), w.bfloat16()
        for _ in range(2):
            x @ w
        best = min(timeit(lambda: x @ w) for _ in range(5))
        print(f'| {threads} | {precision} | {mean:.0f} | {med:.0f} | {ips:.1f} | {loss:.4f} | {2 * 1024 ** 3 / best / 1e9:.1f} |')


def timeit(f):
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


if __name__ == '__main__':
    main()
