#!/usr/bin/env python3
"""Side-by-side benchmark: transformers and Kaption's engine on the same random LLaVA-1.5 weights, interleaved.

One run on one machine is the only comparison that means anything (machines of one kind differ up to 2x, and a
shared machine's load changes from minute to minute), so this script writes one random checkpoint, loads it in
transformers (in this process) and in the engine (`bin/kaption bench engine --model DIR --serve`, a JVM kept
running), and alternates single runs of each, repeat after repeat, with the same shapes and thread count. It prints
every run and, per batch size, the medians and the median of the per-repeat ratios (engine speed / transformers
speed: above 1 the engine is faster).

Each row: one 224x224 image (256 image tokens) and 27 text tokens (283 tokens), 32 new tokens, greedy, EOS
suppressed. Prefill = vision tower + projector + prompt forward + first token; decode = the other 31 steps.
transformers runs `generate()` (sdpa attention, float32); its prefill ends at the first call of the logits
processors, i.e. when the first token's logits exist.

Set-up (once; the machine image's wheelhouse has transformers 4.57.6 and torch 2.13.0+cpu but no
huggingface_hub < 1.0, which transformers 4.57.6 requires, so it is installed from its source tag):

    python3 -m venv ~/venv-kaption-bench
    W="--no-index --find-links /opt/wheels --find-links /opt/pypi/files --find-links /opt/pypi-more/files"
    ~/venv-kaption-bench/bin/pip install $W torch==2.13.0+cpu safetensors tokenizers==0.22.2 setuptools wheel \
        filelock fsspec hf-xet packaging pyyaml requests tqdm typing-extensions numpy regex
    git clone --depth 1 --branch v0.36.2 https://github.com/huggingface/huggingface_hub /tmp/hfhub  # or a copy
    ~/venv-kaption-bench/bin/pip install --no-index --no-build-isolation /tmp/hfhub
    ~/venv-kaption-bench/bin/pip install $W transformers==4.57.6

Run (after `mvn -DskipTests package`; or `bin/kaption bench side-by-side ...` with KAPTION_BENCH_PYTHON set):

    ~/venv-kaption-bench/bin/python tools/bench/side_by_side.py --batches 1,4,16 --repeats 3

A different shape (e.g. a 7B-shaped LLaVA-1.5 on a GPU host) is a matter of the --text-* / --vision-* flags;
--device cuda runs transformers on the GPU (the engine uses DJL's default device, the GPU when it has one).
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
from transformers import (CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration,
                          LogitsProcessor, LogitsProcessorList)

ROOT = Path(__file__).resolve().parents[2]
IMAGE_TOKEN = 32000
VOCAB = 32064
PROMPT_TOKENS = 28  # text tokens + the one <image> marker, as in EngineBenchmark
NEW_TOKENS = 32


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batches", default="1,4,16")
    p.add_argument("--new-tokens", type=int, default=NEW_TOKENS,
                   help="tokens generated per row (fewer: a prefill-weighted run, decode over fewer steps)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--engine-types", default="float32,float16",
                   help="engine compute types to run next to transformers float32")
    p.add_argument("--threads", type=int, default=2, help="intra-op threads on both sides")
    p.add_argument("--model-dir", default="/tmp/kaption-bench-llava",
                   help="where the random checkpoint is written (reused when its config matches)")
    p.add_argument("--device", default="cpu", help="transformers' device (cpu or cuda)")
    p.add_argument("--hf-dtype", default="float32", help="transformers' dtype (float32, or float16 on a GPU)")
    p.add_argument("--text-hidden", type=int, default=768)
    p.add_argument("--text-intermediate", type=int, default=2048)
    p.add_argument("--text-layers", type=int, default=12)
    p.add_argument("--text-heads", type=int, default=12)
    p.add_argument("--vision-image", type=int, default=224)
    p.add_argument("--vision-hidden", type=int, default=512)
    p.add_argument("--vision-intermediate", type=int, default=2048)
    p.add_argument("--vision-layers", type=int, default=6)
    p.add_argument("--vision-heads", type=int, default=8)
    p.add_argument("--save-dtype", default="float32", help="dtype of the written weights")
    p.add_argument("--java-opts", default="-Xmx4g", help="KAPTION_JAVA_OPTS of the engine's JVM")
    p.add_argument("--engine-command", default=str(ROOT / "bin/kaption") + " bench engine",
                   help="how to start the engine benchmark (tools/gpu/run.sh passes a bundled JRE and classpath)")
    return p.parse_args()


def llava_config(a):
    text = LlamaConfig(hidden_size=a.text_hidden, intermediate_size=a.text_intermediate,
                       num_hidden_layers=a.text_layers, num_attention_heads=a.text_heads,
                       num_key_value_heads=a.text_heads, vocab_size=VOCAB, max_position_embeddings=4096,
                       rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False)
    vision = CLIPVisionConfig(hidden_size=a.vision_hidden, intermediate_size=a.vision_intermediate,
                              num_hidden_layers=a.vision_layers, num_attention_heads=a.vision_heads,
                              image_size=a.vision_image, patch_size=14, projection_dim=a.vision_hidden,
                              hidden_act="quick_gelu", layer_norm_eps=1e-5)
    return LlavaConfig(vision_config=vision, text_config=text, image_token_index=IMAGE_TOKEN,
                       projector_hidden_act="gelu", vision_feature_layer=-2,
                       vision_feature_select_strategy="default", tie_word_embeddings=False)


def write_checkpoint(a, config):
    directory = Path(a.model_dir)
    stamp = directory / "kaption-bench.json"
    wanted = {k: v for k, v in vars(a).items() if k.startswith(("text_", "vision_", "save_"))}
    if stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return directory
    print(f"writing random weights (seed 0) to {directory}", flush=True)
    torch.manual_seed(0)
    with torch.device(a.device):  # a 7B model initialises in seconds on a GPU, minutes on CPU
        model = LlavaForConditionalGeneration(config).to(getattr(torch, a.save_dtype))
    model.save_pretrained(directory, safe_serialization=True)
    del model
    stamp.write_text(json.dumps(wanted))
    return directory


class FirstLogits(LogitsProcessor):
    """Records when the first token's logits exist: the end of prefill."""

    def __init__(self):
        self.first = None

    def __call__(self, input_ids, scores):
        if self.first is None:
            if scores.is_cuda:
                torch.cuda.synchronize()
            self.first = time.perf_counter()
        return scores


def inputs(batch, features, image_size, device, dtype):
    g = torch.Generator().manual_seed(11)
    text = torch.randint(3, 30003, (batch, PROMPT_TOKENS - 1 + features), generator=g)
    text[:, 0] = 1
    text[:, 5:5 + features] = IMAGE_TOKEN
    pixels = torch.rand((batch, 3, image_size, image_size), generator=g) * 4 - 2
    return text.to(device), torch.ones_like(text).to(device), pixels.to(device=device, dtype=dtype)


def run_transformers(model, batch, features, a):
    ids, mask, pixels = inputs(batch, features, a.vision_image, a.device, getattr(torch, a.hf_dtype))
    timer = FirstLogits()
    start = time.perf_counter()
    with torch.inference_mode():
        out = model.generate(input_ids=ids, attention_mask=mask, pixel_values=pixels, max_new_tokens=a.new_tokens,
                             min_new_tokens=a.new_tokens, do_sample=False, logits_processor=LogitsProcessorList([timer]),
                             pad_token_id=0)
    if a.device.startswith("cuda"):
        torch.cuda.synchronize()
    end = time.perf_counter()
    generated = out.shape[1] - ids.shape[1]
    assert generated == a.new_tokens, generated
    return timer.first - start, (a.new_tokens - 1) * batch / (end - timer.first)


class Engine:
    """`bin/kaption bench engine --model DIR --serve`: one run per request line."""

    def __init__(self, model_dir, a):
        env = dict(os.environ, KAPTION_JAVA_OPTS=a.java_opts, OMP_NUM_THREADS=str(a.threads))
        self.process = subprocess.Popen(shlex.split(a.engine_command) + ["--model", str(model_dir), "--serve"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self.expect("ready")

    def expect(self, prefix):
        for line in self.process.stdout:
            if line.startswith(prefix):
                return line.split()
            print("  engine: " + line.rstrip(), flush=True)
        raise RuntimeError(f"the engine exited ({self.process.wait()}) before answering")

    def run(self, dtype, batch, new_tokens):
        self.process.stdin.write(f"{dtype} {batch} {new_tokens}\n")
        self.process.stdin.flush()
        words = self.expect("run ")
        return float(words[3]), float(words[4])

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def run_all(model, engine, batches, engine_types, features, a, results):
    for batch in batches:
        for r in range(a.repeats):
            hf = run_transformers(model, batch, features, a)
            row = {"transformers": hf}
            print(f"b{batch:<3} r{r} transformers {a.hf_dtype}: prefill {hf[0]:.3f} s, decode {hf[1]:.1f} tok/s",
                  flush=True)
            for dtype in engine_types:
                time.sleep(0.3)  # let the other side's idle OpenMP threads stop spinning
                e = engine.run(dtype, batch, a.new_tokens)
                row[dtype] = e
                print(f"b{batch:<3} r{r} engine {dtype}: prefill {e[0]:.3f} s, decode {e[1]:.1f} tok/s "
                      f"(prefill x{hf[0] / e[0]:.2f}, decode x{e[1] / hf[1]:.2f})", flush=True)
            results.setdefault(batch, []).append(row)
            time.sleep(0.3)


def engine_gpu_mib(pid):
    """GPU memory the engine's process holds now (nvidia-smi), or None without a GPU."""
    try:
        out = subprocess.run(["nvidia-smi", "--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return sum(int(m) for p, m in (line.split(", ") for line in out.splitlines() if line) if int(p) == pid)


def main():
    a = parse_args()
    torch.set_num_threads(a.threads)
    batches = [int(b) for b in a.batches.split(",")]
    engine_types = [t for t in a.engine_types.split(",") if t]
    config = llava_config(a)
    features = (a.vision_image // 14) ** 2
    model_dir = write_checkpoint(a, config)

    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; load average {os.getloadavg()}; cpus {os.cpu_count()}; "
          f"threads {a.threads}; torch {torch.__version__}; transformers "
          f"{sys.modules['transformers'].__version__}; device {a.device}", flush=True)
    model = LlavaForConditionalGeneration.from_pretrained(model_dir, dtype=getattr(torch, a.hf_dtype),
                                                          attn_implementation="sdpa").to(a.device).eval()
    parameters = sum(p.numel() for p in model.parameters())
    print(f"# model: {parameters / 1e6:.1f}M parameters, {PROMPT_TOKENS - 1 + features} prompt tokens "
          f"({features} image tokens), {a.new_tokens} new tokens", flush=True)
    engine = Engine(model_dir, a)
    try:
        # an untimed run of both sides at every batch size: a first run at a new size pays for fresh memory
        # (transformers' first batch-16 decode ran at 25-31 tok/s, later ones at 96-145)
        for batch in batches:
            run_transformers(model, batch, features, a)
            for dtype in engine_types:
                engine.run(dtype, batch, a.new_tokens)
        results = {}
        try:
            run_all(model, engine, batches, engine_types, features, a, results)
        except KeyboardInterrupt:  # Ctrl-C: the table of the repeats done so far
            print("# interrupted", flush=True)
        if a.device.startswith("cuda"):
            print(f"# GPU memory: transformers peak allocated {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB "
                  f"(reserved {torch.cuda.max_memory_reserved() / 2**20:.0f} MiB); engine process now "
                  f"{engine_gpu_mib(engine.process.pid)} MiB (nvidia-smi)", flush=True)
    finally:
        engine.close()
    print_table(results, engine_types, a)


def print_table(results, engine_types, a):
    med = statistics.median
    print()
    print(f"medians of {a.repeats} interleaved repeats; ratio = engine speed / transformers speed, median of the "
          "per-repeat ratios (> 1: the engine is faster)")
    head = f"| batch | prefill s: transformers {a.hf_dtype}"
    for t in engine_types:
        head += f" / engine {t} (ratio)"
    head += f" | decode tok/s: transformers {a.hf_dtype}"
    for t in engine_types:
        head += f" / engine {t} (ratio)"
    print(head + " |")
    print("|---|---|---|")
    for batch, rows in results.items():
        line = f"| {batch} | {med(r['transformers'][0] for r in rows):.3f}"
        for t in engine_types:
            line += (f" / {med(r[t][0] for r in rows):.3f} "
                     f"({med(r['transformers'][0] / r[t][0] for r in rows):.2f}x)")
        line += f" | {med(r['transformers'][1] for r in rows):.1f}"
        for t in engine_types:
            line += (f" / {med(r[t][1] for r in rows):.1f} "
                     f"({med(r[t][1] / r['transformers'][1] for r in rows):.2f}x)")
        print(line + " |")


if __name__ == "__main__":
    main()
