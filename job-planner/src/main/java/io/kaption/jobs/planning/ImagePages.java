package io.kaption.jobs.planning;

import io.kaption.schemas.jobs.JobSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * An images input: one ListObjectsV2 call per page, resuming after the last key of the previous one. S3 lists keys
 * in a stable order, so records keep their numbers when a page is listed again. Keys ending in {@code /} are folder
 * markers, not records.
 */
final class ImagePages implements PageSource {

    private final S3Client s3;
    private final JobSpec spec;
    private final S3Location prefix;
    private final int pageSize;
    private String startAfter;

    ImagePages(S3Client s3, JobSpec spec, S3Location prefix, int pageSize, String startAfter) {
        this.s3 = s3;
        this.spec = spec;
        this.prefix = prefix;
        this.pageSize = pageSize;
        this.startAfter = startAfter;
    }

    @Override
    public Page next(long firstIndex, Instant now) throws InputUnreadableException {
        ListObjectsV2Request.Builder request = ListObjectsV2Request.builder()
                .bucket(prefix.bucket())
                .maxKeys(pageSize);
        if (!prefix.key().isEmpty()) {
            request.prefix(prefix.key());
        }
        if (startAfter != null) {
            request.startAfter(startAfter);
        }
        ListObjectsV2Response listing;
        try {
            listing = s3.listObjectsV2(request.build());
        } catch (RuntimeException e) {
            if (S3Failures.isPermanent(e)) {
                throw S3Failures.inputError(spec.input(), e);
            }
            throw e;
        }
        List<PlannedRecord> records = new ArrayList<>();
        for (S3Object object : listing.contents()) {
            startAfter = object.key();
            if (object.key().endsWith("/")) {
                continue;
            }
            records.add(PlannedRecord.of(spec, firstIndex + records.size(), object.key(),
                    prefix.objectUri(object.key()), null, now));
        }
        return new Page(records, startAfter, null, !Boolean.TRUE.equals(listing.isTruncated()));
    }

    @Override
    public void close() {
    }
}
