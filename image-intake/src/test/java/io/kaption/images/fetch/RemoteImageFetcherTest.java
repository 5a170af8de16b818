package io.kaption.images.fetch;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.kaption.images.ImageIntakeConfig;
import io.kaption.images.ImageIntakeException;
import io.kaption.images.ImageIntakeException.Code;
import io.kaption.images.TestImages;
import io.kaption.images.inspect.ImageFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The fetcher against a real HTTP server on 127.0.0.1. Forbidden non-loopback addresses (private, link-local,
 * metadata) only ever come from the injected resolver or the URL itself, and the tests check that no socket was
 * opened towards them: every address the fetcher's HTTP client is about to connect to is recorded, and a connection
 * to anything but loopback is stopped before its socket connects, so even a broken policy cannot make a test leave
 * the machine.
 */
class RemoteImageFetcherTest {

    private static final byte[] PNG = TestImages.png(7, 5);
    private static final InetAddress LOOPBACK = address("127.0.0.1");

    private final AtomicInteger requests = new AtomicInteger();
    private final List<String> hostHeaders = new CopyOnWriteArrayList<>();
    private final List<InetAddress> connects = new CopyOnWriteArrayList<>();
    private final List<String> lookups = new CopyOnWriteArrayList<>();
    private final CountDownLatch releaseSlowHandlers = new CountDownLatch(1);
    private final CompletableFuture<Long> endlessBytesWritten = new CompletableFuture<>();
    private final ExecutorService handlerThreads = Executors.newCachedThreadPool();
    private HttpServer server;
    private int port;
    private String base;

    /** Test names only: anything else is unknown, so no test ever reaches a real DNS server. */
    private final Map<String, List<InetAddress>> dns = Map.of(
            "images.test", List.of(LOOPBACK),
            "internal.test", List.of(address("10.0.0.7")),
            "metadata.test", List.of(address("169.254.169.254")),
            "ula.test", List.of(address("fd00::7")),
            "public-and-private.test", List.of(address("93.184.216.34"), address("192.168.0.10")));

    private final HostResolver resolver = host -> {
        lookups.add(host);
        List<InetAddress> addresses = dns.get(host);
        if (addresses == null) {
            throw new UnknownHostException(host);
        }
        return addresses;
    };

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 0);
        server.setExecutor(handlerThreads);
        port = server.getAddress().getPort();
        base = "http://127.0.0.1:" + port;
        route("/image.png", exchange -> respond(exchange, 200, "image/png", PNG));
        route("/image-with-parameters", exchange -> respond(exchange, 200, "IMAGE/PNG; charset=binary", PNG));
        route("/redirect-to-image", exchange -> redirect(exchange, "/image.png"));
        route("/redirect-to-metadata", exchange -> redirect(exchange, "http://169.254.169.254/latest/meta-data/"));
        route("/redirect-to-internal-name", exchange -> redirect(exchange, "http://internal.test/image.png"));
        route("/redirect-to-file", exchange -> redirect(exchange, "file:///etc/passwd"));
        route("/redirect-loop", exchange -> redirect(exchange, "/redirect-loop"));
        route("/html", exchange -> respond(exchange, 200, "text/html", "<html></html>".getBytes()));
        route("/no-content-type", exchange -> respond(exchange, 200, null, PNG));
        route("/png-that-is-text", exchange -> respond(exchange, 200, "image/png", "hello, not a png".getBytes()));
        route("/missing", exchange -> respond(exchange, 404, "text/plain", "no".getBytes()));
        route("/declares-large", exchange -> respond(exchange, 200, "image/png", new byte[256 * 1024]));
        route("/endless", this::endless);
        route("/stalls-before-headers", exchange -> {
            awaitRelease();
            respond(exchange, 200, "image/png", PNG);
        });
        route("/stalls-mid-body", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "image/png");
            exchange.sendResponseHeaders(200, PNG.length);
            OutputStream body = exchange.getResponseBody();
            body.write(PNG, 0, 16);
            body.flush();
            awaitRelease();
            exchange.close();
        });
        route("/drips", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "image/png");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream body = exchange.getResponseBody()) {
                for (int i = 0; i < 1000 && releaseSlowHandlers.getCount() > 0; i++) {
                    body.write(PNG[i % PNG.length]);
                    body.flush();
                    releaseSlowHandlers.await(50, TimeUnit.MILLISECONDS);
                }
            } catch (IOException | InterruptedException e) {
                // the client hung up, as it should
            }
        });
        server.start();
    }

    @AfterEach
    void stopServer() throws InterruptedException {
        releaseSlowHandlers.countDown();
        server.stop(0);
        handlerThreads.shutdownNow();
        handlerThreads.awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void allowListedLoopbackServerServesTheImage() throws IOException {
        try (RemoteImageFetcher fetcher = fetcher(allowing("127.0.0.1:" + port))) {
            FetchedImage image = fetcher.fetch(base + "/image.png");

            assertThat(image.bytes()).isEqualTo(PNG);
            assertThat(image.format()).isEqualTo(ImageFormat.PNG);
            assertThat(image.contentType()).isEqualTo("image/png");
            assertThat(image.url()).hasToString(base + "/image.png");
        }
        assertThat(requests).hasValue(1);
        assertThat(connects).containsExactly(LOOPBACK);
        assertThat(lookups).as("an IP literal is never looked up").isEmpty();
    }

    @Test
    void contentTypeParametersAndCaseAreTolerated() throws IOException {
        try (RemoteImageFetcher fetcher = fetcher(allowing("127.0.0.1:" + port))) {
            assertThat(fetcher.fetch(base + "/image-with-parameters").contentType()).isEqualTo("image/png");
        }
    }

    @Test
    void sameLoopbackUrlWithoutTheAllowListIsRefusedBeforeAnyConnection() throws IOException {
        ImageIntakeException refusal = refusal(remoteEnabled(), base + "/image.png");

        assertThat(refusal.code()).isEqualTo(Code.FORBIDDEN_ADDRESS);
        assertThat(refusal.httpStatus()).isEqualTo(400);
        assertThat(refusal.getMessage()).contains("127.0.0.1", "loopback");
        assertThat(requests).hasValue(0);
        assertThat(connects).isEmpty();
    }

    @Test
    void allowListOnAnotherPortDoesNotAdmitThisOne() throws IOException {
        assertThat(refusal(allowing("127.0.0.1:" + (port == 65535 ? 1 : port + 1)), base + "/image.png").code())
                .isEqualTo(Code.FORBIDDEN_ADDRESS);
        assertThat(requests).hasValue(0);
    }

    @Test
    void hostNameResolvingToLoopbackIsRefused() throws IOException {
        // The allow-list names hosts as written in the URL: admitting 127.0.0.1 does not admit a name resolving to it.
        ImageIntakeException refusal = refusal(allowing("127.0.0.1:" + port), "http://images.test:" + port + "/image.png");

        assertThat(refusal.code()).isEqualTo(Code.FORBIDDEN_ADDRESS);
        assertThat(refusal.getMessage()).contains("images.test", "loopback").doesNotContain("127.0.0.1");
        assertThat(requests).hasValue(0);
        assertThat(connects).isEmpty();
    }

    @Test
    void platformResolverIsCheckedToo() throws IOException {
        // localhost comes from /etc/hosts: no DNS server is asked.
        try (RemoteImageFetcher fetcher = new RemoteImageFetcher(allowing("127.0.0.1:" + port))) {
            ImageIntakeException refusal = catchThrowableOfType(ImageIntakeException.class,
                    () -> fetcher.fetch("http://localhost:" + port + "/image.png"));

            assertThat(refusal.code()).isEqualTo(Code.FORBIDDEN_ADDRESS);
            assertThat(refusal.getMessage()).contains("localhost", "loopback");
        }
        assertThat(requests).hasValue(0);
    }

    @Test
    void allowListedHostNameIsFetchedFromTheAddressResolvedOnce() throws IOException {
        try (RemoteImageFetcher fetcher = fetcher(allowing("images.test:" + port))) {
            assertThat(fetcher.fetch("http://images.test:" + port + "/image.png").bytes()).isEqualTo(PNG);
        }
        // images.test exists only in the injected resolver, and the HTTP client has no resolver of its own: the
        // request could only go out to the address that one lookup produced.
        assertThat(lookups).containsExactly("images.test");
        assertThat(connects).containsExactly(LOOPBACK);
        assertThat(hostHeaders).containsExactly("images.test:" + port);
    }

    @ParameterizedTest
    @ValueSource(strings = {"internal.test", "metadata.test", "ula.test", "public-and-private.test"})
    void hostNamesResolvingToForbiddenAddressesAreRefusedWithoutConnecting(String host) throws IOException {
        ImageIntakeException refusal = refusal(allowing("127.0.0.1:" + port), "https://" + host + "/cat.png");

        assertThat(refusal.code()).isEqualTo(Code.FORBIDDEN_ADDRESS);
        assertThat(lookups).containsExactly(host);
        assertThat(connects).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "http://10.0.0.7/cat.png",
            "http://169.254.169.254/latest/meta-data/",
            "http://2852039166/latest/meta-data/",
            "http://0xa9fea9fe/latest/meta-data/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://0.0.0.0/",
            "http://100.100.100.200/",
            "http://[::1]/",
            "http://[0:0:0:0:0:0:0:1]/",
            "http://[::ffff:169.254.169.254]/",
            "http://[::ffff:a00:7]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[2002:a9fe:a9fe::]/",
            "http://[fe80::1%25eth0]/",
            "http://[fd00::7]/",
            "https://192.168.1.1:8443/",
    })
    void ipLiteralsGetTheSameVerdictWithoutLookupOrConnection(String url) throws IOException {
        assertThat(refusal(remoteEnabled(), url).code()).isEqualTo(Code.FORBIDDEN_ADDRESS);
        assertThat(lookups).isEmpty();
        assertThat(connects).isEmpty();
    }

    @Test
    void hostsJavaCannotParseAreRefusedAsInvalid() throws IOException {
        // java.net.URI reads 127.1 as a registry name, not a host: refused rather than guessed at.
        assertThat(refusal(remoteEnabled(), "http://127.1/").code()).isEqualTo(Code.INVALID_URL);
        assertThat(refusal(remoteEnabled(), "http://under_score.test/").code()).isEqualTo(Code.INVALID_URL);
        assertThat(refusal(remoteEnabled(), "http://exa mple.test/").code()).isEqualTo(Code.INVALID_URL);
        assertThat(connects).isEmpty();
    }

    @Test
    void credentialsInTheUrlAreRefused() throws IOException {
        ImageIntakeException refusal = refusal(allowing("127.0.0.1:" + port), "http://user:secret@127.0.0.1:" + port + "/image.png");

        assertThat(refusal.code()).isEqualTo(Code.INVALID_URL);
        assertThat(refusal.getMessage()).doesNotContain("secret");
        assertThat(requests).hasValue(0);
    }

    @Test
    void redirectToTheMetadataAddressIsRefusedWithoutConnectingToIt() throws IOException {
        ImageIntakeException refusal = refusal(allowing("127.0.0.1:" + port), base + "/redirect-to-metadata");

        assertThat(refusal.code()).isEqualTo(Code.FORBIDDEN_ADDRESS);
        assertThat(refusal.getMessage()).contains("169.254.169.254");
        assertThat(requests).hasValue(1);
        assertThat(connects).containsExactly(LOOPBACK);
    }

    @Test
    void redirectToAPrivateHostNameIsRefusedWithoutConnectingToIt() throws IOException {
        ImageIntakeException refusal = refusal(allowing("127.0.0.1:" + port), base + "/redirect-to-internal-name");

        assertThat(refusal.code()).isEqualTo(Code.FORBIDDEN_ADDRESS);
        assertThat(lookups).containsExactly("internal.test");
        assertThat(connects).containsExactly(LOOPBACK);
    }

    @Test
    void redirectToAnotherSchemeIsRefused() throws IOException {
        assertThat(refusal(allowing("127.0.0.1:" + port), base + "/redirect-to-file").code())
                .isEqualTo(Code.UNSUPPORTED_SCHEME);
    }

    @Test
    void redirectWithinTheAllowListIsFollowed() throws IOException {
        try (RemoteImageFetcher fetcher = fetcher(allowing("127.0.0.1:" + port))) {
            FetchedImage image = fetcher.fetch(base + "/redirect-to-image");

            assertThat(image.bytes()).isEqualTo(PNG);
            assertThat(image.url()).hasToString(base + "/image.png");
        }
        assertThat(requests).hasValue(2);
    }

    @Test
    void redirectLoopStopsAfterTheConfiguredHops() throws IOException {
        ImageIntakeException refusal = refusal(allowing("127.0.0.1:" + port), base + "/redirect-loop");

        assertThat(refusal.code()).isEqualTo(Code.TOO_MANY_REDIRECTS);
        assertThat(refusal.httpStatus()).isEqualTo(502);
        assertThat(requests).as("the first request and 3 redirects").hasValue(4);
    }

    @ParameterizedTest
    @ValueSource(strings = {"file:///etc/passwd", "ftp://images.test/cat.png", "gopher://images.test:70/_GET",
            "jar:file:/tmp/x.jar!/cat.png", "data:image/png;base64,iVBORw0KGgo=", "dict://images.test:11211/stat",
            "//images.test/cat.png", "/cat.png"})
    void nonHttpSchemesAreRefused(String url) throws IOException {
        assertThat(refusal(remoteEnabled(), url).code()).isEqualTo(Code.UNSUPPORTED_SCHEME);
        assertThat(lookups).isEmpty();
        assertThat(connects).isEmpty();
    }

    @Test
    void bodyLargerThanTheCapIsRefusedWhileTheServerIsStillSending() throws Exception {
        Map<String, String> env = allowListEnv("127.0.0.1:" + port);
        env.put(ImageIntakeConfig.MAX_BYTES, String.valueOf(64 * 1024));
        ImageIntakeException refusal = refusal(config(env), base + "/endless");

        assertThat(refusal.code()).isEqualTo(Code.IMAGE_TOO_LARGE);
        assertThat(refusal.httpStatus()).isEqualTo(413);
        // The server would send 1 GiB; it is cut off once the client hangs up, after little more than socket buffers.
        assertThat(endlessBytesWritten.get(30, TimeUnit.SECONDS)).isLessThan(64L * 1024 * 1024);
    }

    @Test
    void declaredLengthOverTheCapIsRefused() throws IOException {
        Map<String, String> env = allowListEnv("127.0.0.1:" + port);
        env.put(ImageIntakeConfig.MAX_BYTES, String.valueOf(64 * 1024));

        assertThat(refusal(config(env), base + "/declares-large").code()).isEqualTo(Code.IMAGE_TOO_LARGE);
    }

    @Test
    void nonImageContentTypeIsRefused() throws IOException {
        ImageIntakeException refusal = refusal(allowing("127.0.0.1:" + port), base + "/html");

        assertThat(refusal.code()).isEqualTo(Code.NOT_AN_IMAGE);
        assertThat(refusal.getMessage()).contains("text/html");
        assertThat(refusal(allowing("127.0.0.1:" + port), base + "/no-content-type").code()).isEqualTo(Code.NOT_AN_IMAGE);
    }

    @Test
    void imageContentTypeWithNonImageBytesIsRefused() throws IOException {
        assertThat(refusal(allowing("127.0.0.1:" + port), base + "/png-that-is-text").code()).isEqualTo(Code.NOT_AN_IMAGE);
    }

    @Test
    void errorStatusIsAFetchFailure() throws IOException {
        ImageIntakeException refusal = refusal(allowing("127.0.0.1:" + port), base + "/missing");

        assertThat(refusal.code()).isEqualTo(Code.FETCH_FAILED);
        assertThat(refusal.getMessage()).contains("404");
    }

    @Test
    void closedPortIsAFetchFailure() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, LOOPBACK)) {
            closedPort = socket.getLocalPort();
        }
        ImageIntakeException refusal = refusal(allowing("127.0.0.1:" + closedPort), "http://127.0.0.1:" + closedPort + "/x.png");

        assertThat(refusal.code()).isEqualTo(Code.FETCH_FAILED);
        assertThat(connects).containsExactly(LOOPBACK);
    }

    @Test
    void unknownHostIsAFetchFailure() throws IOException {
        assertThat(refusal(remoteEnabled(), "https://unknown.test/cat.png").code()).isEqualTo(Code.FETCH_FAILED);
        assertThat(connects).isEmpty();
    }

    @Test
    void serverThatNeverAnswersHitsTheReadTimeout() throws IOException {
        ImageIntakeException refusal = refusal(allowing("127.0.0.1:" + port), base + "/stalls-before-headers");

        assertThat(refusal.code()).isEqualTo(Code.FETCH_TIMEOUT);
        assertThat(refusal.httpStatus()).isEqualTo(504);
    }

    @Test
    void serverThatStopsMidBodyHitsTheReadTimeout() throws IOException {
        assertThat(refusal(allowing("127.0.0.1:" + port), base + "/stalls-mid-body").code()).isEqualTo(Code.FETCH_TIMEOUT);
    }

    @Test
    void serverThatDripsBytesHitsTheOverallDeadline() throws IOException {
        // Every byte arrives well within the read timeout; only the overall deadline can stop this one.
        Map<String, String> env = allowListEnv("127.0.0.1:" + port);
        env.put(ImageIntakeConfig.TIMEOUT_MS, "600");
        env.put(ImageIntakeConfig.READ_TIMEOUT_MS, "5000");

        assertThat(refusal(config(env), base + "/drips").code()).isEqualTo(Code.FETCH_TIMEOUT);
    }

    @Test
    void remoteImagesAreDisabledByDefault() throws IOException {
        ImageIntakeConfig defaults = ImageIntakeConfig.defaults();
        assertThat(defaults.remoteImagesAllowed()).isFalse();

        Map<String, String> allowListOnly = new HashMap<>();
        allowListOnly.put(ImageIntakeConfig.ALLOWED_HOSTS, "127.0.0.1:" + port);
        for (ImageIntakeConfig config : List.of(defaults, config(allowListOnly))) {
            ImageIntakeException refusal = refusal(config, base + "/image.png");
            assertThat(refusal.code()).isEqualTo(Code.REMOTE_IMAGES_DISABLED);
            assertThat(refusal.httpStatus()).isEqualTo(400);
            assertThat(refusal.getMessage()).contains(ImageIntakeConfig.ALLOW_REMOTE_IMAGES);
        }
        assertThat(requests).hasValue(0);
        assertThat(lookups).isEmpty();
    }

    /** Records every connection attempt and stops any towards a non-loopback address before its socket connects. */
    private RemoteImageFetcher fetcher(ImageIntakeConfig config) {
        return new RemoteImageFetcher(config, resolver, address -> {
            connects.add(address);
            if (!address.isLoopbackAddress()) {
                throw new AssertionError("the fetcher tried to connect to " + address);
            }
        });
    }

    private ImageIntakeException refusal(ImageIntakeConfig config, String url) throws IOException {
        try (RemoteImageFetcher fetcher = fetcher(config)) {
            ImageIntakeException refusal = catchThrowableOfType(ImageIntakeException.class, () -> fetcher.fetch(url));
            assertThat(refusal).as("fetching %s must be refused", url).isNotNull();
            return refusal;
        }
    }

    private ImageIntakeConfig remoteEnabled() {
        return config(allowListEnv(""));
    }

    private ImageIntakeConfig allowing(String allowedHosts) {
        return config(allowListEnv(allowedHosts));
    }

    /** Remote images on, short timeouts so refusals by timeout come quickly. */
    private static Map<String, String> allowListEnv(String allowedHosts) {
        Map<String, String> env = new HashMap<>();
        env.put(ImageIntakeConfig.ALLOW_REMOTE_IMAGES, "true");
        env.put(ImageIntakeConfig.ALLOWED_HOSTS, allowedHosts);
        env.put(ImageIntakeConfig.READ_TIMEOUT_MS, "300");
        env.put(ImageIntakeConfig.CONNECT_TIMEOUT_MS, "1000");
        return env;
    }

    private static ImageIntakeConfig config(Map<String, String> env) {
        return ImageIntakeConfig.fromEnvironment(env);
    }

    private void route(String path, HttpHandler handler) {
        server.createContext(path, exchange -> {
            if (!exchange.getRequestURI().getPath().equals(path)) {
                respond(exchange, 404, "text/plain", new byte[0]);
                return;
            }
            requests.incrementAndGet();
            hostHeaders.add(exchange.getRequestHeaders().getFirst("Host"));
            handler.handle(exchange);
        });
    }

    private static void respond(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        if (contentType != null) {
            exchange.getResponseHeaders().set("Content-Type", contentType);
        }
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static void redirect(HttpExchange exchange, String location) throws IOException {
        exchange.getResponseHeaders().set("Location", location);
        exchange.sendResponseHeaders(302, -1);
        exchange.close();
    }

    /** Streams a PNG signature followed by up to 1 GiB of filler, recording how much got out before the client left. */
    private void endless(HttpExchange exchange) {
        long written = 0;
        try {
            exchange.getResponseHeaders().set("Content-Type", "image/png");
            exchange.sendResponseHeaders(200, 0);
            OutputStream body = exchange.getResponseBody();
            body.write(PNG, 0, 8);
            written += 8;
            byte[] filler = new byte[64 * 1024];
            while (written < 1L << 30) {
                body.write(filler);
                written += filler.length;
            }
            body.close();
        } catch (IOException e) {
            // the client hung up
        } finally {
            endlessBytesWritten.complete(written);
            exchange.close();
        }
    }

    private void awaitRelease() {
        try {
            releaseSlowHandlers.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
