package t2i.pipeline.callback;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Which callback URLs t2i calls: the gateway refuses any other at submission, and the notifier
 * checks the address again when it delivers (a name may resolve elsewhere by then). Private,
 * loopback and link-local addresses are refused unless allowed, so that a caller cannot make t2i
 * probe the network it runs in. Immutable.
 *
 * @param schemes the allowed schemes, lower case ({@code https}, {@code http}); empty: none
 * @param hosts the allowed hosts: exact names, or {@code *.example.com} for any name under it;
 *     empty: any host
 * @param allowPrivateAddresses whether callbacks may go to private, loopback or link-local
 *     addresses
 * @param maxUrlChars the longest URL accepted
 */
public record CallbackRules(
    Set<String> schemes, List<String> hosts, boolean allowPrivateAddresses, int maxUrlChars) {

  /** The schemes t2i can call at all. */
  public static final Set<String> SUPPORTED_SCHEMES = Set.of("http", "https");

  public CallbackRules {
    schemes = Set.copyOf(schemes.stream().map(s -> s.toLowerCase(Locale.ROOT)).toList());
    hosts = hosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
    if (!SUPPORTED_SCHEMES.containsAll(schemes)) {
      throw new IllegalArgumentException(
          "callback schemes may be " + SUPPORTED_SCHEMES + ", were " + schemes);
    }
    if (maxUrlChars < 1) {
      throw new IllegalArgumentException("maxUrlChars must be positive, was " + maxUrlChars);
    }
  }

  /** Whether any callback is accepted at all. */
  public boolean enabled() {
    return !schemes.isEmpty();
  }

  /**
   * Why {@code url} is not an acceptable callback, in words that say what to change; empty when it
   * is. Resolves the host's name (blocking) to check its addresses.
   *
   * @param settingPrefix the configuration prefix an operator changes, named in refusals
   */
  public Optional<String> refusal(String url, String settingPrefix) {
    if (!enabled()) {
      return Optional.of(
          "this server sends no callbacks; leave callback_url empty (an operator allows them with "
              + settingPrefix
              + "allowed-schemes)");
    }
    if (url.length() > maxUrlChars) {
      return Optional.of(
          "callback_url has "
              + url.length()
              + " characters; at most "
              + maxUrlChars
              + " are allowed");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return Optional.of("callback_url is not a valid URL: " + e.getReason());
    }
    String scheme = uri.getScheme();
    if (scheme == null || !schemes.contains(scheme.toLowerCase(Locale.ROOT))) {
      return Optional.of(
          "callback_url must be an absolute URL with scheme "
              + String.join(" or ", sorted(schemes)));
    }
    if (uri.getRawUserInfo() != null) {
      return Optional.of("callback_url must not carry a user name or password");
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      return Optional.of("callback_url has no host");
    }
    if (!hostAllowed(host.toLowerCase(Locale.ROOT))) {
      return Optional.of(
          "callback_url's host "
              + host
              + " is not one this server calls; allowed hosts: "
              + hosts
              + " ("
              + settingPrefix
              + "allowed-hosts)");
    }
    return addressRefusal(host, settingPrefix);
  }

  /**
   * Why callbacks must not go to {@code host} now (it does not resolve, or resolves to a private
   * address that is not allowed); empty when they may.
   */
  public Optional<String> addressRefusal(String host, String settingPrefix) {
    InetAddress[] addresses;
    try {
      addresses = InetAddress.getAllByName(unbracketed(host));
    } catch (UnknownHostException e) {
      return Optional.of("callback host " + host + " does not resolve");
    }
    if (allowPrivateAddresses) {
      return Optional.empty();
    }
    for (InetAddress address : addresses) {
      if (PrivateAddresses.isPrivate(address)) {
        return Optional.of(
            "callback host "
                + host
                + " is a private, loopback or link-local address ("
                + address.getHostAddress()
                + "); this server calls only public addresses ("
                + settingPrefix
                + "allow-private-addresses)");
      }
    }
    return Optional.empty();
  }

  private boolean hostAllowed(String host) {
    if (hosts.isEmpty()) {
      return true;
    }
    for (String allowed : hosts) {
      if (allowed.startsWith("*.")
          ? host.endsWith(allowed.substring(1)) && host.length() > allowed.length() - 1
          : host.equals(allowed)) {
        return true;
      }
    }
    return false;
  }

  private static String unbracketed(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  private static List<String> sorted(Set<String> values) {
    return values.stream().sorted().toList();
  }
}
