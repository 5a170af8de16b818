package io.kaption.ingest.http;

import java.util.List;
import java.util.Map;

/** A request body read in full: JSON (or any non-form body), or the fields and files of a form. */
public sealed interface RequestBody {

    /** A body that is not a form; its bytes are parsed by whoever knows what they should be. */
    record Raw(byte[] bytes) implements RequestBody {
    }

    /**
     * A {@code multipart/form-data} or {@code application/x-www-form-urlencoded} body.
     *
     * @param fields plain form fields by name, in arrival order
     * @param files     file parts by name, in arrival order
     * @param fileNames the client's file name of each file part (empty when it sent none), parallel to {@code files}
     */
    record Form(Map<String, List<String>> fields, Map<String, List<byte[]>> files,
                Map<String, List<String>> fileNames) implements RequestBody {
        public Form {
            fields = Map.copyOf(fields);
            files = Map.copyOf(files);
            fileNames = Map.copyOf(fileNames);
        }

        public Form(Map<String, List<String>> fields, Map<String, List<byte[]>> files) {
            this(fields, files, Map.of());
        }
    }
}
