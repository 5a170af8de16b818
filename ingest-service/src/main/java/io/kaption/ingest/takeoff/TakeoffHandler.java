package io.kaption.ingest.takeoff;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kaption.images.ImageIntakeConfig;
import io.kaption.ingest.generation.Generations;
import io.kaption.ingest.http.ApiException;
import io.kaption.ingest.http.BodyReader;
import io.kaption.ingest.http.HttpExchange;
import io.kaption.ingest.http.Json;
import io.kaption.ingest.http.RequestBody;
import io.kaption.ingest.takeoff.TakeoffRequests.Mode;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Takeoff's endpoints ({@code /generate}, {@code /generate_stream}, {@code /image_generate},
 * {@code /image_generate_stream}) and Kaption's asynchronous {@code /v1/requests}. Each takes the Takeoff
 * {@code json_data} as a JSON body, or as a {@code json_data} form field or file part next to an {@code image_data}
 * file part in a multipart form (Takeoff's image upload).
 */
public final class TakeoffHandler {

    static final String JSON_DATA = "json_data";
    static final String IMAGE_DATA = "image_data";

    private final Generations generations;
    private final ImageIntakeConfig imageConfig;
    private final int maxBodyBytes;
    private final URI sinkPublicUrl;

    public TakeoffHandler(Generations generations, ImageIntakeConfig imageConfig, int maxBodyBytes, URI sinkPublicUrl) {
        this.generations = generations;
        this.imageConfig = imageConfig;
        this.maxBodyBytes = maxBodyBytes;
        this.sinkPublicUrl = sinkPublicUrl;
    }

    /** {@code /generate} and {@code /image_generate}: the result as {@code {"text": ...}}. */
    public void generate(HttpExchange exchange, boolean imageRequired) {
        read(exchange, Mode.BLOCKING, imageRequired)
                .compose(call -> generations.prepare(call.draft(), call.images())
                        .compose(request -> generations.call(exchange, request))
                        .map(result -> TakeoffResponses.body(result, call.returnMetadata())))
                .onSuccess(body -> exchange.json(200, body))
                .onFailure(exchange::fail);
    }

    /** {@code /generate_stream} and {@code /image_generate_stream}: the tokens as server-sent events. */
    public void generateStream(HttpExchange exchange, boolean imageRequired) {
        read(exchange, Mode.STREAM, imageRequired)
                .compose(call -> generations.prepare(call.draft(), call.images())
                        .compose(request -> generations.stream(exchange, request,
                                new TakeoffStream(exchange, call.returnMetadata()))))
                .onFailure(exchange::fail);
    }

    /** {@code POST /v1/requests}: 202 with the request id and where the result sink serves its events and result. */
    public void submit(HttpExchange exchange) {
        read(exchange, Mode.ASYNC, false)
                .compose(call -> generations.prepare(call.draft(), call.images()))
                .compose(request -> generations.submit(exchange, request))
                .onSuccess(published -> {
                    String base = sinkPublicUrl + "/v1/requests/" + exchange.requestId();
                    ObjectNode body = Json.MAPPER.createObjectNode();
                    body.put("request_id", exchange.requestId());
                    body.put("events_url", base + "/events");
                    body.put("result_url", base);
                    exchange.response().putHeader(HttpHeaders.LOCATION, base);
                    exchange.json(202, body);
                })
                .onFailure(exchange::fail);
    }

    private Future<TakeoffCall> read(HttpExchange exchange, Mode mode, boolean imageRequired) {
        return BodyReader.read(exchange.request(), maxBodyBytes).map(body -> {
            TakeoffCall call = parse(body, exchange.requestId(), mode);
            exchange.requireGroup(call.draft().consumerGroup());
            if (imageRequired && call.images().isEmpty()) {
                throw ApiException.badRequest("image_required", "this endpoint needs an image: an image_data file "
                        + "part, an image_url, or an <image:URL> tag in text");
            }
            return call;
        });
    }

    // Package-private for MultipartBodyFuzzTest, which drives it behind a real HTTP server.
    TakeoffCall parse(RequestBody body, String requestId, Mode mode) {
        if (body instanceof RequestBody.Raw raw) {
            return TakeoffRequests.parse(Json.parseObject(raw.bytes(), "the request body"), Optional.empty(),
                    requestId, mode, imageConfig);
        }
        RequestBody.Form form = (RequestBody.Form) body;
        if (form.fields().containsKey(IMAGE_DATA)) {
            throw ApiException.badRequest("invalid_body", "image_data must be a file part (with a filename), "
                    + "not a plain form field");
        }
        List<byte[]> images = form.files().getOrDefault(IMAGE_DATA, List.of());
        if (images.size() > 1) {
            throw ApiException.badRequest("too_many_images", "a request takes one image_data part; got "
                    + images.size() + " (further images go in image_urls or <image:URL> tags)");
        }
        return TakeoffRequests.parse(jsonData(form), images.stream().findFirst(), requestId, mode, imageConfig);
    }

    // requests' data={"json_data": ...} sends a plain field; files={"json_data": ...} or curl -F json_data=@f a file.
    private static ObjectNode jsonData(RequestBody.Form form) {
        List<String> fields = form.fields().getOrDefault(JSON_DATA, List.of());
        List<byte[]> files = form.files().getOrDefault(JSON_DATA, List.of());
        if (fields.size() + files.size() != 1) {
            throw ApiException.badRequest("missing_json_data", fields.isEmpty() && files.isEmpty()
                    ? "the form needs a json_data part holding the request as JSON"
                    : "the form has more than one json_data part");
        }
        byte[] bytes = fields.isEmpty() ? files.get(0) : fields.get(0).getBytes(StandardCharsets.UTF_8);
        return Json.parseObject(bytes, "json_data");
    }
}
