package t2i.local;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Port checks for tests. */
final class Ports {

  private Ports() {}

  static int of(String hostAndPort) {
    return Integer.parseInt(hostAndPort.substring(hostAndPort.lastIndexOf(':') + 1));
  }

  /** Whether {@code port} can be bound on loopback now, i.e. no server holds it any more. */
  static boolean isFree(int port) {
    try {
      new ServerSocket(port, 1, InetAddress.getLoopbackAddress()).close();
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
