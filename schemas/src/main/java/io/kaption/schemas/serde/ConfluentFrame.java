package io.kaption.schemas.serde;

import java.nio.ByteBuffer;

/**
 * The Confluent Schema Registry wire format: magic byte 0, the schema id as a 4-byte big-endian int, then the JSON.
 * Plain JSON can never start with byte 0 (a JSON text starts with whitespace or a value), so the two are told apart
 * by the first byte.
 */
public final class ConfluentFrame {

    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_LENGTH = 5;

    private ConfluentFrame() {}

    public static boolean isFramed(byte[] bytes) {
        return bytes.length > 0 && bytes[0] == MAGIC_BYTE;
    }

    /** The schema id of a framed value. */
    public static int schemaId(byte[] framed) {
        return ByteBuffer.wrap(framed, 1, 4).getInt();
    }

    /** {@code json} behind a frame naming {@code schemaId}: what a Confluent or Apicurio serializer writes. */
    public static byte[] frame(int schemaId, byte[] json) {
        return ByteBuffer.allocate(HEADER_LENGTH + json.length).put(MAGIC_BYTE).putInt(schemaId).put(json).array();
    }
}
