package io.kaption.localstack.s3;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An S3-compatible server (S3Proxy) in this JVM on 127.0.0.1, accepting any credentials so that SDKs and the AWS
 * CLI work with dummy keys.
 */
public final class EmbeddedS3 implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedS3.class);

  private static final String HOST = "127.0.0.1";
  /** Any key pair works against this server; clients still need one to sign requests. */
  public static final String DUMMY_ACCESS_KEY = "kaption";
  public static final String DUMMY_SECRET_KEY = "kaption-secret";
  public static final Region REGION = Region.US_EAST_1;

  private final S3Proxy proxy;
  private final URI endpoint;

  private EmbeddedS3(S3Proxy proxy) {
    this.proxy = proxy;
    this.endpoint = URI.create("http://" + HOST + ":" + proxy.getPort());
  }

  /** Objects kept in memory only, on {@code port} (0 picks a free one): for tests. */
  public static EmbeddedS3 startInMemory(int port) {
    return start(port, new TransientNio2BlobStore(), "memory");
  }

  /** Objects kept as files under {@code dataDir} (bucket = directory), on {@code port} (0 picks a free one). */
  public static EmbeddedS3 startOnDisk(int port, Path dataDir) {
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the S3 data directory " + dataDir, e);
    }
    return start(port, new FilesystemNio2BlobStore(dataDir.toAbsolutePath().toString()), dataDir.toString());
  }

  private static EmbeddedS3 start(int port, BlobStore blobStore, String storageDescription) {
    S3Proxy proxy = S3Proxy.builder()
        .blobStore(blobStore)
        .endpoint(URI.create("http://" + HOST + ":" + port))
        .awsAuthentication(AuthenticationType.NONE, null, null)
        .build();
    try {
      proxy.start();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start S3Proxy on " + HOST + ":" + port, e);
    }
    EmbeddedS3 s3 = new EmbeddedS3(proxy);
    log.info("S3 ready on {}, objects in {}", s3.endpoint, storageDescription);
    return s3;
  }

  /** {@code http://127.0.0.1:<port>}. */
  public URI endpoint() {
    return endpoint;
  }

  public int port() {
    return proxy.getPort();
  }

  /** A client for this server; the caller closes it. */
  public S3Client newClient() {
    return clientFor(endpoint);
  }

  /**
   * A client for any local S3-compatible endpoint: path-style addressing (no bucket subdomains on 127.0.0.1),
   * dummy static credentials, the SDK's default Apache HTTP client, which validates pooled
   * connections before reuse (with the URL-connection client a PUT failed on all four attempts in CI).
   */
  public static S3Client clientFor(URI endpoint) {
    return S3Client.builder()
        .endpointOverride(endpoint)
        .forcePathStyle(true)
        .region(REGION)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(DUMMY_ACCESS_KEY, DUMMY_SECRET_KEY)))
        .httpClientBuilder(Apache5HttpClient.builder())
        .build();
  }

  @Override
  public void close() {
    try {
      proxy.stop();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop S3Proxy on " + endpoint, e);
    }
  }
}
