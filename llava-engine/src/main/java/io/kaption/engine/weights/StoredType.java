package io.kaption.engine.weights;

import java.nio.ByteBuffer;

/** The safetensors element types the engine reads, each decoded to float32. */
enum StoredType {
    F32(4), F16(2), BF16(2);

    final int bytes;

    StoredType(int bytes) {
        this.bytes = bytes;
    }

    static StoredType parse(String name, String tensor) {
        try {
            return valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tensor " + tensor + " has dtype " + name
                    + "; only F32, F16 and BF16 are supported");
        }
    }

    /** Decodes {@code out.length} little-endian values from {@code in} (positioned at the first one). */
    void decode(ByteBuffer in, float[] out) {
        switch (this) {
            case F32 -> in.asFloatBuffer().get(out);
            case F16 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = halfToFloat(in.getShort());
                }
            }
            case BF16 -> {
                // bfloat16 is the upper half of a float32.
                for (int i = 0; i < out.length; i++) {
                    out[i] = Float.intBitsToFloat((in.getShort() & 0xffff) << 16);
                }
            }
        }
    }

    /** IEEE 754 binary16 to float32 (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // zero or subnormal: mantissa * 2^-24, exact in float32
            float value = mantissa * 0x1p-24f;
            return sign == 0 ? value : -value;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }
}
