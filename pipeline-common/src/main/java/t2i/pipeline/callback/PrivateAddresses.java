package t2i.pipeline.callback;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/** Addresses a callback must not reach unless allowed: anything not on the public internet. */
final class PrivateAddresses {

  private PrivateAddresses() {}

  static boolean isPrivate(InetAddress address) {
    if (address.isAnyLocalAddress()
        || address.isLoopbackAddress()
        || address.isLinkLocalAddress()
        || address.isSiteLocalAddress()
        || address.isMulticastAddress()) {
      return true;
    }
    byte[] b = address.getAddress();
    if (address instanceof Inet4Address) {
      int first = b[0] & 0xff;
      int second = b[1] & 0xff;
      // 0.0.0.0/8 "this network", 100.64.0.0/10 carrier-grade NAT, 192.0.0.0/24 protocol
      // assignments, 198.18.0.0/15 benchmarking, 240.0.0.0/4 reserved.
      return first == 0
          || (first == 100 && second >= 64 && second <= 127)
          || (first == 192 && second == 0 && (b[2] & 0xff) == 0)
          || (first == 198 && (second == 18 || second == 19))
          || first >= 240;
    }
    if (address instanceof Inet6Address) {
      int first = b[0] & 0xff;
      // fc00::/7 unique local; ::ffff:0:0/96 IPv4-mapped, judged by the IPv4 address it carries.
      if ((first & 0xfe) == 0xfc) {
        return true;
      }
      if (isIpv4Mapped(b)) {
        byte[] v4 = {b[12], b[13], b[14], b[15]};
        try {
          return isPrivate(InetAddress.getByAddress(v4));
        } catch (java.net.UnknownHostException e) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean isIpv4Mapped(byte[] b) {
    for (int i = 0; i < 10; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
  }
}
