package io.kaption.images.fetch;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsServer;
import io.kaption.images.ImageIntakeConfig;
import io.kaption.images.ImageIntakeException;
import io.kaption.images.ImageIntakeException.Code;
import io.kaption.images.TestImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Pinning the connection to the checked address must not weaken TLS: the certificate is still verified against the
 * URL's host name (sent as SNI), not against the address connected to. The loopback HTTPS server's self-signed
 * certificates (src/test/resources/tls) are trusted through the standard javax.net.ssl.trustStore property.
 */
class RemoteImageFetcherTlsTest {

    private static final byte[] PNG = TestImages.png(3, 3);
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final String PASSWORD = "changeit";
    private static final List<String> TRUST_PROPERTIES =
            List.of("javax.net.ssl.trustStore", "javax.net.ssl.trustStorePassword", "javax.net.ssl.trustStoreType");

    private final List<String> serverNames = new CopyOnWriteArrayList<>();
    private HttpsServer server;

    @BeforeAll
    static void trustTestCertificates() throws URISyntaxException {
        System.setProperty("javax.net.ssl.trustStore", resource("tls/trusted.p12").toString());
        System.setProperty("javax.net.ssl.trustStorePassword", PASSWORD);
        System.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
    }

    @AfterAll
    static void forgetTestCertificates() {
        TRUST_PROPERTIES.forEach(System::clearProperty);
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    @Test
    void verifiesTheCertificateAgainstTheUrlHostWhileConnectingToTheCheckedAddress() throws Exception {
        int port = startServer("tls/images-test.p12");

        try (RemoteImageFetcher fetcher = fetcher(port)) {
            assertThat(fetcher.fetch("https://images.test:" + port + "/cat.png").bytes()).isEqualTo(PNG);
        }
        assertThat(serverNames).containsExactly("images.test");
    }

    @Test
    void refusesACertificateForAnotherHost() throws Exception {
        int port = startServer("tls/other-test.p12");

        try (RemoteImageFetcher fetcher = fetcher(port)) {
            ImageIntakeException refusal = catchThrowableOfType(ImageIntakeException.class,
                    () -> fetcher.fetch("https://images.test:" + port + "/cat.png"));

            assertThat(refusal.code()).isEqualTo(Code.FETCH_FAILED);
            assertThat(refusal.getCause()).isInstanceOf(SSLException.class);
            assertThat(refusal.getMessage()).contains("TLS", "No subject alternative DNS name matching images.test");
        }
    }

    private static RemoteImageFetcher fetcher(int port) {
        ImageIntakeConfig config = ImageIntakeConfig.fromEnvironment(Map.of(
                ImageIntakeConfig.ALLOW_REMOTE_IMAGES, "true",
                ImageIntakeConfig.ALLOWED_HOSTS, "images.test:" + port,
                ImageIntakeConfig.READ_TIMEOUT_MS, "2000"));
        return new RemoteImageFetcher(config, host -> {
            if (!host.equals("images.test")) {
                throw new java.net.UnknownHostException(host);
            }
            return List.of(LOOPBACK);
        });
    }

    private int startServer(String keyStore) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(keyStore)) {
            keys.load(in, PASSWORD.toCharArray());
        }
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, PASSWORD.toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keyManagers.getKeyManagers(), null, null);

        server = HttpsServer.create(new InetSocketAddress(LOOPBACK, 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.createContext("/cat.png", exchange -> {
            ((ExtendedSSLSession) ((HttpsExchange) exchange).getSSLSession()).getRequestedServerNames()
                    .forEach(name -> serverNames.add(((SNIHostName) name).getAsciiName()));
            exchange.getResponseHeaders().set("Content-Type", "image/png");
            exchange.sendResponseHeaders(200, PNG.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(PNG);
            }
        });
        server.start();
        return server.getAddress().getPort();
    }

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(RemoteImageFetcherTlsTest.class.getClassLoader().getResource(name).toURI());
    }
}
