package io.kaption.images.fetch;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Turns a host name into addresses. The fetcher calls it exactly once per hop and then connects only to the
 * addresses it returned and the address policy admitted; tests inject one that maps test names to chosen addresses.
 */
@FunctionalInterface
public interface HostResolver {

    List<InetAddress> resolve(String host) throws UnknownHostException;

    /** The platform resolver, {@link InetAddress#getAllByName}. */
    static HostResolver system() {
        return host -> List.of(InetAddress.getAllByName(host));
    }
}
