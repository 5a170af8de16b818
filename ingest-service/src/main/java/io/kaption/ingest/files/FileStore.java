package io.kaption.ingest.files;

import io.kaption.ingest.http.Json;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Files in S3 under {@code KAPTION_FILES_URI}: the content at {@code files/content/<id>}, OpenAI's file object (plus
 * the owning key's fingerprint) at {@code files/meta/<id>.json}. The content is written first, so a file object
 * always has its content. Blocking.
 */
public final class FileStore {

    static final String META = "files/meta/";
    static final String CONTENT = "files/content/";
    /** Keys read per listing call while filtering by owner and purpose. */
    private static final int LIST_PAGE = 1000;

    private final S3Objects objects;
    private final Clock clock;

    public record Page(List<FileObject> files, boolean hasMore) {
    }

    public FileStore(S3Objects objects, Clock clock) {
        this.objects = objects;
        this.clock = clock;
    }

    /** Stores an uploaded file under a new id. */
    public FileObject upload(String filename, String purpose, byte[] content, String owner) {
        Instant now = clock.instant();
        FileObject file = new FileObject(ObjectIds.random("file-", now), content.length, now.getEpochSecond(),
                filename, purpose, owner);
        return write(file, content);
    }

    /** Writes {@code file} (an id chosen by the caller, e.g. a batch's derived output id) and its content. */
    public FileObject write(FileObject file, byte[] content) {
        objects.put(CONTENT + file.id(), content, "application/jsonl");
        objects.put(META + file.id() + ".json", Json.write(file.toStored()).getBytes(StandardCharsets.UTF_8),
                "application/json");
        return file;
    }

    /** The file, if it exists and {@code owner} may see it (null owner: keys are off, every file is visible). */
    public Optional<FileObject> find(String id, String owner) {
        if (!id.startsWith("file-") || id.contains("/")) {
            return Optional.empty();
        }
        return objects.get(META + id + ".json")
                .map(bytes -> FileObject.fromStored(Json.parseObject(bytes, "file " + id)))
                .filter(file -> visible(file, owner));
    }

    public Optional<byte[]> content(FileObject file) {
        return objects.get(CONTENT + file.id());
    }

    /** Deletes the file object first (so a half-done delete leaves no visible file without content). */
    public void delete(FileObject file) {
        objects.delete(META + file.id() + ".json");
        objects.delete(CONTENT + file.id());
    }

    /** Newest first, after the file {@code after} (null: from the newest), {@code purpose} null for any. */
    public Page list(String owner, String purpose, int limit, String after) {
        List<FileObject> files = new ArrayList<>();
        String startAfter = after == null ? null : META + after + ".json";
        while (true) {
            List<String> keys = objects.keys(META, startAfter, LIST_PAGE);
            for (String key : keys) {
                String id = key.substring(META.length(), key.length() - ".json".length());
                Optional<FileObject> file = find(id, owner)
                        .filter(f -> purpose == null || purpose.equals(f.purpose()));
                if (file.isPresent()) {
                    if (files.size() == limit) {
                        return new Page(files, true);
                    }
                    files.add(file.get());
                }
            }
            if (keys.size() < LIST_PAGE) {
                return new Page(files, false);
            }
            startAfter = keys.get(keys.size() - 1);
        }
    }

    private static boolean visible(FileObject file, String owner) {
        return owner == null || Objects.equals(owner, file.owner());
    }
}
