package io.kaption.images.fetch;

import io.kaption.images.ImageIntakeConfig;
import io.kaption.images.ImageIntakeException;
import io.kaption.images.ImageIntakeException.Code;
import io.kaption.images.inspect.ImageFormat;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SchemePortResolver;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.DefaultHttpClientConnectionOperator;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.io.HttpClientConnectionManager;
import org.apache.hc.client5.http.io.HttpClientConnectionOperator;
import org.apache.hc.client5.http.ssl.TlsSocketStrategy;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.URIScheme;
import org.apache.hc.core5.http.config.RegistryBuilder;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Fetches {@code http(s)://} images without letting a URL reach into the network it runs in (SSRF).
 *
 * <p>Every hop, the first and each redirect, is checked from scratch: scheme, host, then the host's addresses,
 * resolved once; a host that is not allow-listed must resolve only to public addresses. The request is then sent to
 * exactly those addresses: the HTTP client is handed the checked address and has no DNS resolver of its own, so a
 * second lookup (DNS rebinding) cannot happen. TLS still verifies, and sends SNI for, the host name of the URL. The body
 * is streamed under a byte cap and an overall deadline and must be {@code image/*} with image bytes.
 *
 * <p>Thread-safe; one instance per process is enough. Close it to release its connections.
 */
public final class RemoteImageFetcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RemoteImageFetcher.class);
    private static final Set<Integer> REDIRECT_STATUSES = Set.of(301, 302, 303, 307, 308);
    private static final int READ_CHUNK = 64 * 1024;

    /** Fails every lookup: the client only ever gets hosts that already carry their checked address. */
    private static final DnsResolver NO_DNS = new DnsResolver() {
        @Override
        public InetAddress[] resolve(String host) throws UnknownHostException {
            throw new UnknownHostException("image fetches connect only to addresses the fetcher checked, not " + host);
        }

        @Override
        public String resolveCanonicalHostname(String host) throws UnknownHostException {
            throw new UnknownHostException("image fetches never look up canonical names, not for " + host);
        }
    };

    private final ImageIntakeConfig config;
    private final HostResolver resolver;
    private final CloseableHttpClient client;

    public RemoteImageFetcher(ImageIntakeConfig config) {
        this(config, HostResolver.system());
    }

    public RemoteImageFetcher(ImageIntakeConfig config, HostResolver resolver) {
        this(config, resolver, address -> { });
    }

    /** {@code beforeConnect} sees every address a socket is about to connect to; tests use it to prove none was. */
    RemoteImageFetcher(ImageIntakeConfig config, HostResolver resolver, Consumer<InetAddress> beforeConnect) {
        this.config = Objects.requireNonNull(config);
        this.resolver = Objects.requireNonNull(resolver);
        this.client = HttpClients.custom()
                .setConnectionManager(connectionManager(config, beforeConnect))
                .disableRedirectHandling()
                .disableAutomaticRetries()
                .disableContentCompression()
                .disableCookieManagement()
                .disableAuthCaching()
                // A fetch owns its connection from connect to close: nothing pooled outlives the check made for it.
                .setConnectionReuseStrategy((request, response, context) -> false)
                .setUserAgent("kaption-image-intake")
                .build();
    }

    /**
     * Fetches one image URL.
     *
     * @throws ImageIntakeException with {@code remote_images_disabled}, {@code invalid_url}, {@code unsupported_scheme},
     *                              {@code forbidden_address}, {@code too_many_redirects}, {@code image_too_large},
     *                              {@code not_an_image}, {@code unsupported_image_format}, {@code fetch_timeout} or
     *                              {@code fetch_failed}
     */
    public FetchedImage fetch(String url) {
        URI uri = parse(url);
        requireHttpScheme(uri);
        if (!config.remoteImagesAllowed()) {
            throw new ImageIntakeException(Code.REMOTE_IMAGES_DISABLED, "remote image URLs are disabled on this server ("
                    + ImageIntakeConfig.ALLOW_REMOTE_IMAGES + "=false); send the image inline as a data: URL");
        }
        long deadline = System.nanoTime() + config.fetchTimeout().toNanos();
        for (int redirects = 0; ; redirects++) {
            Target target = admit(uri);
            Outcome outcome = exchange(uri, target, deadline);
            if (outcome.image() != null) {
                return outcome.image();
            }
            if (redirects == config.maxRedirects()) {
                throw new ImageIntakeException(Code.TOO_MANY_REDIRECTS,
                        "image URL redirected more than " + config.maxRedirects() + " times");
            }
            uri = outcome.redirect();
        }
    }

    @Override
    public void close() throws IOException {
        client.close();
    }

    private record Target(String scheme, String host, int port, List<InetAddress> addresses) {
    }

    /** Either the image or where the server redirected to. */
    private record Outcome(FetchedImage image, URI redirect) {
    }

    private static URI parse(String url) {
        try {
            return new URI(Objects.requireNonNull(url, "url").strip());
        } catch (URISyntaxException e) {
            throw new ImageIntakeException(Code.INVALID_URL, "image URL is not a valid URL: " + e.getReason());
        }
    }

    /** The per-hop check: scheme, host, one resolution, and the address policy unless the host is allow-listed. */
    private Target admit(URI uri) {
        String scheme = requireHttpScheme(uri);
        if (uri.getRawUserInfo() != null) {
            throw new ImageIntakeException(Code.INVALID_URL, "image URLs may not carry credentials");
        }
        String host = uri.getHost();
        if (host == null) {
            throw new ImageIntakeException(Code.INVALID_URL, "image URL has no valid host name");
        }
        int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        String bareHost = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        Optional<InetAddress> literal = IpLiteral.parse(host);
        List<InetAddress> addresses = literal.map(List::of).orElseGet(() -> resolve(bareHost));
        boolean allowListed = config.allowedHosts().stream().anyMatch(allowed -> allowed.admits(host, port));
        if (!allowListed) {
            for (InetAddress address : addresses) {
                Optional<String> reason = AddressPolicy.forbiddenReason(address);
                if (reason.isPresent()) {
                    LOG.warn("Refused image host {}: forbidden address ({})", host, reason.get());
                    throw new ImageIntakeException(Code.FORBIDDEN_ADDRESS, "image host " + host
                            + (literal.isPresent() ? " is" : " resolves to") + " a forbidden address (" + reason.get()
                            + "); only public addresses are fetched");
                }
            }
        }
        return new Target(scheme, bareHost, port, addresses);
    }

    private static String requireHttpScheme(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new ImageIntakeException(Code.UNSUPPORTED_SCHEME, scheme.isEmpty()
                    ? "image URL has no scheme; use https://"
                    : "image URLs must be http or https, not " + scheme + ":");
        }
        return scheme;
    }

    private List<InetAddress> resolve(String host) {
        try {
            List<InetAddress> addresses = resolver.resolve(host);
            if (addresses.isEmpty()) {
                throw new UnknownHostException(host);
            }
            return List.copyOf(addresses);
        } catch (UnknownHostException e) {
            throw new ImageIntakeException(Code.FETCH_FAILED, "image host " + host + " could not be resolved", e);
        }
    }

    /** One request to the checked addresses in turn, moving on only when a connection could not be made. */
    private Outcome exchange(URI uri, Target target, long deadline) {
        IOException connectFailure = null;
        for (InetAddress address : target.addresses()) {
            HttpGet request = new HttpGet(uri);
            request.setConfig(requestConfig(deadline));
            HttpHost pinned = new HttpHost(target.scheme(), address, target.host(), target.port());
            try (ClassicHttpResponse response = client.executeOpen(pinned, request, null)) {
                try {
                    return read(uri, response, deadline);
                } catch (RuntimeException e) {
                    request.cancel(); // drop the connection instead of draining a body we refused
                    throw e;
                }
            } catch (ConnectException | NoRouteToHostException | ConnectTimeoutException e) {
                connectFailure = e;
            } catch (SocketTimeoutException e) {
                throw timeout(uri, e);
            } catch (SSLException e) {
                throw new ImageIntakeException(Code.FETCH_FAILED,
                        "TLS with image host " + origin(uri) + " failed: " + e.getMessage(), e);
            } catch (IOException e) {
                throw new ImageIntakeException(Code.FETCH_FAILED,
                        "could not fetch image from " + origin(uri) + ": " + e.getMessage(), e);
            }
        }
        if (connectFailure instanceof ConnectTimeoutException) {
            throw timeout(uri, connectFailure);
        }
        throw new ImageIntakeException(Code.FETCH_FAILED, "could not connect to image host " + origin(uri), connectFailure);
    }

    private RequestConfig requestConfig(long deadline) {
        long remainingMillis = remainingMillis(deadline);
        if (remainingMillis <= 0) {
            throw new ImageIntakeException(Code.FETCH_TIMEOUT,
                    "image fetch took longer than " + config.fetchTimeout().toMillis() + " ms");
        }
        return RequestConfig.custom()
                .setConnectionRequestTimeout(Timeout.ofMilliseconds(remainingMillis))
                .setResponseTimeout(Timeout.ofMilliseconds(Math.min(config.readTimeout().toMillis(), remainingMillis)))
                .build();
    }

    private Outcome read(URI uri, ClassicHttpResponse response, long deadline) throws IOException {
        int status = response.getCode();
        if (REDIRECT_STATUSES.contains(status)) {
            Header location = response.getFirstHeader(HttpHeaders.LOCATION);
            if (location == null) {
                throw new ImageIntakeException(Code.FETCH_FAILED,
                        "image host " + origin(uri) + " answered HTTP " + status + " without a Location");
            }
            try {
                return new Outcome(null, uri.resolve(new URI(location.getValue().strip())));
            } catch (URISyntaxException e) {
                throw new ImageIntakeException(Code.FETCH_FAILED,
                        "image host " + origin(uri) + " redirected to an invalid URL: " + e.getReason());
            }
        }
        if (status != 200) {
            throw new ImageIntakeException(Code.FETCH_FAILED,
                    "image host " + origin(uri) + " answered HTTP " + status);
        }
        String mediaType = mediaType(response);
        if (!mediaType.startsWith("image/")) {
            throw new ImageIntakeException(Code.NOT_AN_IMAGE, "image URL answered with Content-Type '" + mediaType
                    + "', not image/*");
        }
        HttpEntity entity = response.getEntity();
        long declaredLength = entity == null ? 0 : entity.getContentLength();
        if (declaredLength > config.maxBytes()) {
            throw tooLarge(uri);
        }
        byte[] bytes = entity == null ? new byte[0] : readCapped(uri, entity.getContent(), declaredLength, deadline);
        ImageFormat format = ImageFormat.detect(bytes);
        LOG.debug("Fetched {} bytes of {} from {}", bytes.length, format, origin(uri));
        return new Outcome(new FetchedImage(uri, mediaType, format, bytes), null);
    }

    /** Reads at most the byte cap, failing as soon as the body goes past it or the deadline passes. */
    private byte[] readCapped(URI uri, InputStream body, long declaredLength, long deadline) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(declaredLength > 0 ? (int) declaredLength : READ_CHUNK);
        byte[] chunk = new byte[READ_CHUNK];
        long total = 0;
        for (int n; (n = body.read(chunk)) != -1; ) {
            total += n;
            if (total > config.maxBytes()) {
                throw tooLarge(uri);
            }
            if (remainingMillis(deadline) <= 0) {
                throw new ImageIntakeException(Code.FETCH_TIMEOUT, "image download from " + origin(uri)
                        + " took longer than " + config.fetchTimeout().toMillis() + " ms");
            }
            out.write(chunk, 0, n);
        }
        return out.toByteArray();
    }

    private static String mediaType(ClassicHttpResponse response) {
        Header header = response.getFirstHeader(HttpHeaders.CONTENT_TYPE);
        ContentType contentType = header == null ? null : ContentType.parseLenient(header.getValue());
        return contentType == null || contentType.getMimeType() == null
                ? "(none)"
                : contentType.getMimeType().toLowerCase(Locale.ROOT);
    }

    private ImageIntakeException tooLarge(URI uri) {
        return new ImageIntakeException(Code.IMAGE_TOO_LARGE,
                "image from " + origin(uri) + " is larger than " + config.maxBytes() + " bytes");
    }

    private ImageIntakeException timeout(URI uri, IOException cause) {
        return new ImageIntakeException(Code.FETCH_TIMEOUT, "image host " + origin(uri) + " timed out", cause);
    }

    private static long remainingMillis(long deadline) {
        return TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    }

    /** scheme://host[:port] only: paths and queries of image URLs can carry signatures that must not be echoed. */
    private static String origin(URI uri) {
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() == -1 ? "" : ":" + uri.getPort());
    }

    private static HttpClientConnectionManager connectionManager(
            ImageIntakeConfig config, Consumer<InetAddress> beforeConnect) {
        PoolingHttpClientConnectionManagerBuilder builder = new PoolingHttpClientConnectionManagerBuilder() {
            @Override
            protected HttpClientConnectionOperator createConnectionOperator(
                    SchemePortResolver ports, DnsResolver dns, TlsSocketStrategy tls) {
                return new DefaultHttpClientConnectionOperator(ports, dns,
                        RegistryBuilder.<TlsSocketStrategy>create().register(URIScheme.HTTPS.id, tls).build()) {
                    @Override
                    protected void onBeforeSocketConnect(HttpContext context, HttpHost host) {
                        beforeConnect.accept(host.getAddress());
                    }
                };
            }
        };
        return builder
                .setDnsResolver(NO_DNS)
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.of(config.connectTimeout()))
                        .setSocketTimeout(Timeout.of(config.readTimeout()))
                        .build())
                .build();
    }
}
