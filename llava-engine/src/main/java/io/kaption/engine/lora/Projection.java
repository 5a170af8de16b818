package io.kaption.engine.lora;

import io.kaption.engine.checkpoint.TextConfig;
import java.util.List;

/**
 * The decoder's projections as {@code LlamaDecoder} runs them (q/k/v and gate/up fused), and the PEFT module names
 * each one is made of, with their input and output widths.
 */
public enum Projection {
    QKV(List.of("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj")),
    OUT(List.of("self_attn.o_proj")),
    GATE_UP(List.of("mlp.gate_proj", "mlp.up_proj")),
    DOWN(List.of("mlp.down_proj"));

    /** Module names relative to a decoder layer, in the order their outputs are stacked. */
    final List<String> modules;

    Projection(List<String> modules) {
        this.modules = modules;
    }

    int inputWidth(TextConfig text) {
        return switch (this) {
            case QKV, GATE_UP -> text.hiddenSize();
            case OUT -> text.numHeads() * text.headDim();
            case DOWN -> text.intermediateSize();
        };
    }

    /** Output width of module {@code i} of this projection. */
    int outputWidth(int i, TextConfig text) {
        return switch (this) {
            case QKV -> (i == 0 ? text.numHeads() : text.numKvHeads()) * text.headDim();
            case OUT, DOWN -> text.hiddenSize();
            case GATE_UP -> text.intermediateSize();
        };
    }
}
