package t2i.gateway;

import io.grpc.Metadata;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/** A gateway with authentication on and one API key for each of three tenants. */
public class AuthenticatedProfile implements QuarkusTestProfile {

  static final String ALICE_KEY = "t2i_alice-key-for-tests";
  static final String BOB_KEY = "t2i_bob-key-for-tests";
  static final String FUZZ_KEY = "t2i_fuzz-key-for-tests";

  @Override
  public Map<String, String> getConfigOverrides() {
    return Map.of(
        "t2i.gateway.auth.enabled",
        "true",
        "t2i.gateway.auth.keys",
        "alice:"
            + ApiKeys.hashHex(ALICE_KEY)
            + ",bob:"
            + ApiKeys.hashHex(BOB_KEY)
            + ",fuzz:"
            + ApiKeys.hashHex(FUZZ_KEY),
        "t2i.gateway.quota.max-jobs-in-flight",
        "16",
        "t2i.gateway.quota.max-submissions",
        "1000");
  }

  /** The stub, sending {@code authorization: Bearer KEY}. */
  static <S extends AbstractStub<S>> S withBearer(S stub, String key) {
    return withHeader(stub, ApiKeyInterceptor.AUTHORIZATION, "Bearer " + key);
  }

  static <S extends AbstractStub<S>> S withHeader(
      S stub, Metadata.Key<String> header, String value) {
    Metadata headers = new Metadata();
    headers.put(header, value);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }
}
