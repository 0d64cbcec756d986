package t2i.local;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Picks loopback ports that are free at the time of the call. Another process may take a port
 * before the caller binds it, so callers retry with fresh ports when their bind fails.
 */
final class FreePorts {

  static final String LOOPBACK_HOST = "127.0.0.1";

  private FreePorts() {}

  /** {@code count} distinct ports that were free on {@link #LOOPBACK_HOST} a moment ago. */
  static int[] pick(int count) throws IOException {
    // The literal address, not a name lookup: the sockets must bind exactly where callers connect.
    InetAddress loopback = InetAddress.getByAddress(LOOPBACK_HOST, new byte[] {127, 0, 0, 1});
    List<ServerSocket> held = new ArrayList<>(count);
    try {
      // Holding every socket until all are picked keeps the ports distinct.
      for (int i = 0; i < count; i++) {
        held.add(new ServerSocket(0, 1, loopback));
      }
      return held.stream().mapToInt(ServerSocket::getLocalPort).toArray();
    } finally {
      for (ServerSocket socket : held) {
        socket.close();
      }
    }
  }
}
