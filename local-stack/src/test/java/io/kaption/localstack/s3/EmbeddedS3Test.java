package io.kaption.localstack.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kaption.localstack.junit.SharedInfrastructure;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

@ExtendWith(SharedInfrastructure.class)
class EmbeddedS3Test {

  private static final String BUCKET = "embedded-s3-test";

  @BeforeAll
  static void createBucket() {
    SharedInfrastructure.s3Client().createBucket(b -> b.bucket(BUCKET));
  }

  @Test
  void putThenGetReturnsTheSameBytesAndMetadata() {
    S3Client s3 = SharedInfrastructure.s3Client();
    byte[] body = {0, 1, 2, (byte) 0xff, 10, 13};
    s3.putObject(p -> p.bucket(BUCKET).key("bytes/raw.bin").contentType("application/octet-stream"),
        RequestBody.fromBytes(body));

    var object = s3.getObjectAsBytes(g -> g.bucket(BUCKET).key("bytes/raw.bin"));

    assertThat(object.asByteArray()).isEqualTo(body);
    assertThat(object.response().contentType()).isEqualTo("application/octet-stream");
    assertThat(object.response().contentLength()).isEqualTo(body.length);
  }

  @Test
  void aMissingKeyIsNoSuchKey() {
    assertThatThrownBy(() -> SharedInfrastructure.s3Client().getObjectAsBytes(g -> g.bucket(BUCKET).key("nope")))
        .isInstanceOf(NoSuchKeyException.class);
  }

  @Test
  void listingByPrefixPagesThroughEveryKeyInOrder() {
    S3Client s3 = SharedInfrastructure.s3Client();
    List<String> keys = IntStream.range(0, 7).mapToObj(i -> "paged/item-" + i).collect(Collectors.toList());
    for (String key : keys) {
      s3.putObject(p -> p.bucket(BUCKET).key(key), RequestBody.fromString(key, StandardCharsets.UTF_8));
    }
    s3.putObject(p -> p.bucket(BUCKET).key("other/item"), RequestBody.fromString("other", StandardCharsets.UTF_8));

    List<ListObjectsV2Response> pages =
        s3.listObjectsV2Paginator(l -> l.bucket(BUCKET).prefix("paged/").maxKeys(3)).stream()
            .collect(Collectors.toList());

    assertThat(pages).hasSize(3);
    assertThat(pages.get(0).contents()).hasSize(3);
    assertThat(pages.get(0).isTruncated()).isTrue();
    assertThat(pages.get(2).isTruncated()).isFalse();
    assertThat(pages.stream().flatMap(page -> page.contents().stream()).map(S3Object::key))
        .containsExactlyElementsOf(keys);
  }

  @Test
  void onDiskObjectsSurviveARestart(@TempDir Path dataDir) {
    try (EmbeddedS3 s3 = EmbeddedS3.startOnDisk(0, dataDir); S3Client client = s3.newClient()) {
      client.createBucket(b -> b.bucket("durable"));
      client.putObject(p -> p.bucket("durable").key("kept.txt"), RequestBody.fromString("kept",
          StandardCharsets.UTF_8));
    }
    try (EmbeddedS3 s3 = EmbeddedS3.startOnDisk(0, dataDir); S3Client client = s3.newClient()) {
      assertThat(client.listBuckets().buckets()).extracting(b -> b.name()).containsExactly("durable");
      assertThat(client.getObjectAsBytes(g -> g.bucket("durable").key("kept.txt")).asUtf8String())
          .isEqualTo("kept");
    }
    assertThat(dataDir.resolve("durable")).isDirectory();
  }
}
