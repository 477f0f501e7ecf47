"""Times the official I-JEPA training step (facebookresearch/ijepa at 52c1ae9) on the setting of
jepa4j's bench_w192d6 preset (docs/reference.md section 12), in float32 and with the official
use_bfloat16 autocast moved to the CPU: torch.autocast('cpu', dtype=torch.bfloat16) around the same
forward passes and loss. Uses the checkout's own modules (models, mask collator, optimizer set-up,
apply_masks); the step is the official train_step (src/train.py:290-336) without the CUDA pieces.
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--official', required=True, help='path of a facebookresearch/ijepa checkout')
    ap.add_argument('--precision', default='fp32,bf16', help='fp32 and/or bf16 (autocast on the CPU)')
    ap.add_argument('--threads', default='1,2', help='torch intra-op thread counts to compare')
    ap.add_argument('--steps', type=int, default=10)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--batch', type=int, default=64)
    a = ap.parse_args()
    sys.path.insert(0, os.path.abspath(a.official))
    import torch
    import torch.nn.functional as F
    import src.models.vision_transformer as vit
    from src.masks.multiblock import MaskCollator
    from src.masks.utils import apply_masks
    from src.utils.tensors import repeat_interleave_batch
    from src.helper import init_opt

    torch.manual_seed(0)
    # bench_w192d6: 32x32x3, patch 4, encoder 192 wide / 6 deep / 3 heads, predictor 96 / 4
    collator = MaskCollator(input_size=32, patch_size=4, enc_mask_scale=(0.85, 1.0),
                            pred_mask_scale=(0.15, 0.2), aspect_ratio=(0.75, 1.5), nenc=1, npred=4,
                            min_keep=4, allow_overlap=False)
    batches = []
    for i in range(8):
        imgs = [(torch.randn(3, 32, 32), 0) for _ in range(a.batch)]
        udata, m_enc, m_pred = collator(imgs)
        batches.append((udata[0], m_enc, m_pred))

    print(f'torch {torch.__version__}, oneDNN {torch.backends.mkldnn.is_available()}, '
          f'{platform.processor() or platform.machine()}, CPU flags: {cpu_flags()}')
    print(f'official checkout {os.path.abspath(a.official)}; batch {a.batch}, {a.steps} timed steps'
          f' after {a.warmup}')
    rows = []
    for threads in [int(t) for t in a.threads.split(',')]:
        torch.set_num_threads(threads)
        for precision in a.precision.split(','):
            torch.manual_seed(0)
            encoder = vit.VisionTransformer(img_size=[32], patch_size=4, embed_dim=192, depth=6, num_heads=3)
            predictor = vit.VisionTransformerPredictor(num_patches=encoder.patch_embed.num_patches,
                                                       embed_dim=192, predictor_embed_dim=96, depth=4,
                                                       num_heads=3)
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
