"""Golden preprocessing at other image sizes (42, 84 — like the hidden fixture set) from transformers' PIL image
processors (transformers 5.18.0, Pillow 12.3.0, numpy; no torch). Writes `<config>.json` preprocessor configs,
`<image>.png` inputs and cases.json: for every (config, image) the pixel_values shape, the SHA-256 of its
little-endian float32 bytes, and the number of image tokens LlavaProcessor / LlavaNextProcessor expand <image> to.
Run from this directory: python make_sizes.py
"""
import hashlib
import json

import numpy as np
from PIL import Image
from tokenizers import Tokenizer
from transformers import LlavaNextProcessor, LlavaProcessor, PreTrainedTokenizerFast
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil
from transformers.models.llava.image_processing_pil_llava import LlavaImageProcessorPil
from transformers.models.llava_next.image_processing_pil_llava_next import LlavaNextImageProcessorPil

MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]
rng = np.random.default_rng(4242)
tokenizer = PreTrainedTokenizerFast(
    tokenizer_object=Tokenizer.from_file("../../fixtures/llava/llava15-tiny/model/tokenizer.json"),
    bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>", extra_special_tokens={"image_token": "<image>"})

images = {}
for w, h in [(1, 1), (13, 300), (200, 10), (84, 84), (85, 41), (7, 5), (126, 90)]:
    name = f"img{w}x{h}"
    Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), "RGB").save(name + ".png")
    images[name] = name + ".png"

cases = []
for s in (42, 84):
    common = {"size": {"shortest_edge": s}, "crop_size": {"height": s, "width": s}, "image_mean": MEAN,
              "image_std": STD, "resample": 3, "do_center_crop": True, "do_resize": True, "do_rescale": True,
              "rescale_factor": 1 / 255, "do_normalize": True, "do_convert_rgb": True}
    pinpoints = [[s, 2 * s], [2 * s, s], [2 * s, 2 * s], [3 * s, s], [s, 3 * s]]
    configs = {
        f"clip{s}": (dict(common, image_processor_type="CLIPImageProcessor"), CLIPImageProcessorPil(**common)),
        f"pad{s}": (dict(common, image_processor_type="LlavaImageProcessor", do_pad=True),
                    LlavaImageProcessorPil(do_pad=True, **common)),
        f"next{s}": (dict(common, image_processor_type="LlavaNextImageProcessor", image_grid_pinpoints=pinpoints),
                     LlavaNextImageProcessorPil(image_grid_pinpoints=pinpoints, **common)),
    }
    for config_name, (config, processor) in configs.items():
        with open(config_name + ".json", "w") as f:
            json.dump(config, f, indent=1)
        if config_name.startswith("next"):
            text_processor = LlavaNextProcessor(image_processor=processor, tokenizer=tokenizer, patch_size=14,
                                                vision_feature_select_strategy="default", num_additional_image_tokens=1)
        else:
            text_processor = LlavaProcessor(image_processor=processor, tokenizer=tokenizer, patch_size=14,
                                            vision_feature_select_strategy="default", num_additional_image_tokens=1)
        for image_name, file in images.items():
            with Image.open(file) as im:
                out = text_processor(images=im.convert("RGB"), text="<image>", return_tensors="np")
            pixels = np.ascontiguousarray(out["pixel_values"][0], dtype="<f4")
            cases.append({"config": config_name, "image": file, "shape": list(pixels.shape),
                          "sha256": hashlib.sha256(pixels.tobytes()).hexdigest(),
                          "num_image_tokens": int((out["input_ids"][0] == 32000).sum())})
with open("cases.json", "w") as f:
    json.dump(cases, f, indent=1)
