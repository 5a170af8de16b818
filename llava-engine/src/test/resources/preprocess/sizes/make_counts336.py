"""Image-token counts of LLaVA-1.6 at its real geometry (336 px, patch 14, llava-v1.6 pinpoints) for many image
sizes, from transformers' LlavaNextProcessor (5.18.0) without computing pixels. Writes counts336.json."""
import json

from transformers import LlavaNextProcessor
from transformers.models.llava_next.image_processing_pil_llava_next import LlavaNextImageProcessorPil

PINPOINTS = [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]
image_processor = LlavaNextImageProcessorPil(size={"shortest_edge": 336}, crop_size={"height": 336, "width": 336},
                                             image_grid_pinpoints=PINPOINTS)
processor = LlavaNextProcessor.__new__(LlavaNextProcessor)
processor.image_processor = image_processor
processor.patch_size = 14
processor.num_additional_image_tokens = 1
processor.vision_feature_select_strategy = "default"
sizes = [(h, w) for h in (1, 7, 100, 224, 335, 336, 337, 480, 500, 640, 672, 768, 1000, 1080, 1920, 3000)
         for w in (1, 5, 100, 300, 336, 500, 640, 673, 1024, 1280, 1920, 4000)]
# _get_number_of_features counts the CLS feature; the "default" strategy drops it (as _expand_image_tokens does).
counts = [{"height": h, "width": w, "num_image_tokens": processor._get_number_of_features(h, w, 336, 336) - 1}
          for h, w in sizes]
with open("counts336.json", "w") as f:
    json.dump({"pinpoints_hw": PINPOINTS, "image_size": 336, "patch_size": 14, "counts": counts}, f)
