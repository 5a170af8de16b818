package io.kaption.ingest.takeoff;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.kaption.images.ImageIntakeException;
import io.kaption.images.ImageIntakeConfig;
import io.kaption.ingest.generation.Constraints;
import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.http.Json;
import io.kaption.ingest.images.ImageSource;
import io.kaption.schemas.GenerationRequest;
import io.kaption.schemas.serde.ContractCodec;
import io.kaption.schemas.serde.InvalidRecordException;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Maps a Takeoff {@code json_data} object to a {@code kaption.requests} record. The fields Takeoff and the contract
 * share pass through unchanged and are validated by the contract's own schema ({@link ContractCodec#REQUESTS}), so the
 * HTTP API accepts exactly what a hand-written Kafka record may carry; defaults are the contract's (Takeoff's).
 * HTTP-only fields are taken out first: {@code image_url}, {@code image_urls}, {@code return_metadata}, and
 * {@code <image:URL>} tags in {@code text}; every image they name is admitted by the ingest before the record carries
 * it.  The images of a request, in order: {@code image_data}, {@code image_url} or {@code image_urls}, then the tags.
 */
public final class TakeoffRequests {

    /** Which endpoint family the request came in through. */
    public enum Mode {
        /** {@code /generate}, {@code /image_generate}: answered with the result. */
        BLOCKING,
        /** {@code /generate_stream}, {@code /image_generate_stream}: answered with a token stream. */
        STREAM,
        /** {@code /v1/requests}: published and answered with where to follow it; streams tokens unless told not to. */
        ASYNC
    }

    // Contract fields a client cannot set through the Takeoff endpoints: the service sets them, or they belong to
    // bucket jobs (an HTTP client must not choose where a result sink writes).
    private static final List<String> SERVICE_FIELDS = List.of("request_id", "stream", "output_uri", "job_id",
            "record_id", "created_at");
    private static final Set<String> ASYNC_CLIENT_FIELDS = Set.of("stream", "job_id", "record_id");

    private TakeoffRequests() {
    }

    /**
     * @param jsonData      the Takeoff {@code json_data} object
     * @param upload        the bytes of an {@code image_data} part, if the request had one
     * @param requestId     the request's id
     * @param mode          the endpoint family
     * @param imageConfig   image intake's settings: inline tags need remote images enabled
     */
    public static TakeoffCall parse(ObjectNode jsonData, Optional<byte[]> upload, String requestId, Mode mode,
                                    ImageIntakeConfig imageConfig) {
        ObjectNode tree = jsonData.deepCopy();
        boolean returnMetadata = mode != Mode.ASYNC && takeBoolean(tree, "return_metadata");
        Optional<String> imageUrl = takeString(tree, "image_url");
        List<String> imageUrls = takeStrings(tree, "image_urls");
        for (String field : SERVICE_FIELDS) {
            boolean allowed = mode == Mode.ASYNC && ASYNC_CLIENT_FIELDS.contains(field);
            if (tree.has(field) && !allowed) {
                throw ApiException.unprocessable("invalid_request", "$." + field + ": cannot be set here"
                        + (field.equals("request_id") ? " (send an X-Request-Id header instead)" : ""));
            }
        }
        if (mode == Mode.ASYNC && tree.has("return_metadata")) {
            throw ApiException.unprocessable("invalid_request",
                    "$.return_metadata: not used by /v1/requests (results always carry usage)");
        }
        List<String> tagUrls = takeImageTags(tree);
        if (!tagUrls.isEmpty() && !imageConfig.remoteImagesAllowed()) {
            throw new ApiException(400, ImageIntakeException.Code.REMOTE_IMAGES_DISABLED.code(),
                    "inline <image:URL> tags are disabled; set TAKEOFF_ALLOW_REMOTE_IMAGES=true to allow them");
        }
        tree.put("request_id", requestId);
        if (mode != Mode.ASYNC || !tree.has("stream")) {
            tree.put("stream", mode != Mode.BLOCKING);
        }
        GenerationRequest draft = decode(tree);
        Constraints.check(draft, "json_schema");

        List<ImageSource> images = new ArrayList<>();
        upload.ifPresent(bytes -> images.add(new ImageSource.Upload(bytes)));
        imageUrl.ifPresent(url -> images.add(new ImageSource.Url(url)));
        imageUrls.forEach(url -> images.add(new ImageSource.Url(url)));
        tagUrls.forEach(url -> images.add(new ImageSource.Url(url)));
        if (images.size() > imageConfig.maxImagesPerRequest()) {
            throw ApiException.badRequest("too_many_images", "a request takes at most "
                    + imageConfig.maxImagesPerRequest() + " images; got " + images.size()
                    + " (from image_data, image_url, image_urls and <image:URL> tags together)");
        }
        return new TakeoffCall(draft, images, returnMetadata);
    }

    /** Validates against the contract; every violation is named in the 422's message. */
    static GenerationRequest decode(ObjectNode tree) {
        try {
            return ContractCodec.REQUESTS.decode(tree);
        } catch (InvalidRecordException e) {
            throw ApiException.unprocessable("invalid_request", String.join("; ", e.violations()));
        }
    }

    // Cuts the tags out of text (a string or each string of a list); the same URL in several prompts is one image.
    private static List<String> takeImageTags(ObjectNode tree) {
        JsonNode text = tree.get("text");
        Set<String> urls = new LinkedHashSet<>();
        if (text != null && text.isTextual()) {
            ImageTags.Extracted extracted = ImageTags.extract(text.textValue());
            urls.addAll(extracted.urls());
            tree.put("text", extracted.text());
        } else if (text != null && text.isArray()) {
            ArrayNode prompts = (ArrayNode) text;
            for (int i = 0; i < prompts.size(); i++) {
                if (prompts.get(i).isTextual()) {
                    ImageTags.Extracted extracted = ImageTags.extract(prompts.get(i).textValue());
                    urls.addAll(extracted.urls());
                    prompts.set(i, TextNode.valueOf(extracted.text()));
                }
            }
        }
        return List.copyOf(urls);
    }

    private static boolean takeBoolean(ObjectNode tree, String field) {
        JsonNode value = tree.remove(field);
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw ApiException.unprocessable("invalid_request", "$." + field + ": must be a boolean, got "
                    + Json.kind(value));
        }
        return value.booleanValue();
    }

    private static List<String> takeStrings(ObjectNode tree, String field) {
        JsonNode value = tree.remove(field);
        if (value == null || value.isNull()) {
            return List.of();
        }
        List<String> strings = new ArrayList<>();
        if (value.isArray()) {
            value.forEach(element -> strings.add(element.isTextual() ? element.textValue().strip() : ""));
        }
        if (strings.isEmpty() || strings.contains("")) {
            throw ApiException.unprocessable("invalid_request", "$." + field
                    + ": must be a non-empty array of non-empty strings");
        }
        return strings;
    }

    private static Optional<String> takeString(ObjectNode tree, String field) {
        JsonNode value = tree.remove(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isTextual() || value.textValue().isBlank()) {
            throw ApiException.unprocessable("invalid_request", "$." + field + ": must be a non-empty string, got "
                    + Json.kind(value));
        }
        return Optional.of(value.textValue().strip());
    }
}
