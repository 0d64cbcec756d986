package t2i.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.UnknownFieldSet;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import t2i.local.LocalStackTestResource;
import t2i.v1.CancelRequest;
import t2i.v1.GenerateRequest;
import t2i.v1.GetJobRequest;
import t2i.v1.JobState;
import t2i.v1.ListModelsRequest;
import t2i.v1.SubmitResponse;
import t2i.v1.TextToImageGrpc;
import t2i.v1.TokenizeRequest;
import t2i.v1.WatchJobRequest;

/**
 * Sends many random and mutated requests to every method over real gRPC, with valid, wrong and
 * missing API keys, and checks that only the API's defined status codes come back and that the
 * gateway is healthy afterwards. Inputs come from a seeded generator, so a failure repeats.
 */
@QuarkusTest
@TestProfile(AuthenticatedProfile.class)
@QuarkusTestResource(LocalStackTestResource.class)
class FuzzTest {

  private static final int REQUESTS = 10_000;
  private static final long SEED = 0x7215_2025L;
  private static final int CONCURRENCY = 16;

  private static final Set<Status.Code> DEFINED =
      EnumSet.of(
          Status.Code.OK,
          Status.Code.INVALID_ARGUMENT,
          Status.Code.NOT_FOUND,
          Status.Code.UNAUTHENTICATED,
          Status.Code.RESOURCE_EXHAUSTED);

  @GrpcClient("t2i")
  Channel channel;

  /**
   * One call and what the gateway answered.
   *
   * @param job the job id the call named, if any
   */
  private record Outcome(String method, String job, boolean validKey, Status status) {}

  private final Random random = new Random(SEED);
  private final List<String> ownJobIds = new CopyOnWriteArrayList<>();

  @Test
  void randomAndMutatedRequests_getOnlyDefinedCodes_andTheGatewayStaysHealthy() throws Exception {
    String othersJob =
        AuthenticatedProfile.withBearer(
                TextToImageGrpc.newBlockingStub(channel), AuthenticatedProfile.ALICE_KEY)
            .submit(GenerateRequest.newBuilder().setPrompt("alice's job").build())
            .getJobId();

    List<Outcome> outcomes = new CopyOnWriteArrayList<>();
    Semaphore inFlight = new Semaphore(CONCURRENCY);
    for (int i = 0; i < REQUESTS; i++) {
      inFlight.acquire();
      send(othersJob, outcomes, inFlight::release);
    }
    inFlight.acquire(CONCURRENCY);

    assertThat(outcomes).hasSize(REQUESTS);
    Map<Status.Code, Integer> codes = new ConcurrentHashMap<>();
    outcomes.forEach(o -> codes.merge(o.status().getCode(), 1, Integer::sum));
    System.out.println("Fuzz outcomes by code: " + codes);
    assertThat(outcomes)
        .filteredOn(o -> !DEFINED.contains(o.status().getCode()) && !endsWithJob(o))
        .as("calls answered with a code the API does not define")
        .isEmpty();
    assertThat(outcomes)
        .filteredOn(o -> o.validKey() && o.status().getCode() == Status.Code.UNAUTHENTICATED)
        .as("valid keys refused")
        .isEmpty();
    assertThat(outcomes)
        .filteredOn(o -> !o.validKey())
        .extracting(o -> o.status().getCode())
        .containsOnly(Status.Code.UNAUTHENTICATED);
    assertThat(outcomes)
        .filteredOn(o -> o.validKey() && o.job().equals(othersJob))
        .extracting(o -> o.status().getCode())
        .as("another tenant's job")
        .isNotEmpty()
        .isSubsetOf(Status.Code.NOT_FOUND, Status.Code.RESOURCE_EXHAUSTED);
    assertThat(codes.getOrDefault(Status.Code.OK, 0)).isGreaterThan(REQUESTS / 20);
    assertThat(codes.getOrDefault(Status.Code.INVALID_ARGUMENT, 0)).isGreaterThan(REQUESTS / 20);

    assertThat(
            HealthGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance())
                .getStatus())
        .isEqualTo(ServingStatus.SERVING);
    TextToImageGrpc.TextToImageBlockingStub alice =
        AuthenticatedProfile.withBearer(
                TextToImageGrpc.newBlockingStub(channel), AuthenticatedProfile.ALICE_KEY)
            .withDeadlineAfter(10, TimeUnit.SECONDS);
    assertThat(alice.listModels(ListModelsRequest.getDefaultInstance()).getModelsCount())
        .isEqualTo(1);
    assertThat(alice.getJob(GetJobRequest.newBuilder().setJobId(othersJob).build()).getState())
        .isEqualTo(JobState.QUEUED);
  }

  /**
   * Whether a stream ended because its job did: a job the test cancelled ends its streams
   * CANCELLED, as the API defines for Generate and WatchJob.
   */
  private static boolean endsWithJob(Outcome outcome) {
    return (outcome.method().equals("Generate") || outcome.method().equals("WatchJob"))
        && outcome.status().getCode() == Status.Code.CANCELLED
        && outcome.status().getDescription() != null
        && outcome.status().getDescription().endsWith(OwnedJobs.CANCEL_REASON);
  }

  /** Sends one random call; {@code done} runs once it has ended. */
  private void send(String othersJob, List<Outcome> outcomes, Runnable done) {
    int pick = random.nextInt(100);
    MethodDescriptor<?, ?> method;
    byte[] input;
    String job = "";
    if (pick < 30) {
      method = TextToImageGrpc.getSubmitMethod();
      input = generateRequest();
    } else if (pick < 42) {
      method = TextToImageGrpc.getGenerateMethod();
      input = generateRequest();
    } else if (pick < 55) {
      method = TextToImageGrpc.getGetJobMethod();
      job = jobId(othersJob);
      input = withUnknownFields(GetJobRequest.newBuilder().setJobId(job).build());
    } else if (pick < 65) {
      method = TextToImageGrpc.getWatchJobMethod();
      job = jobId(othersJob);
      input = withUnknownFields(WatchJobRequest.newBuilder().setJobId(job).build());
    } else if (pick < 75) {
      method = TextToImageGrpc.getCancelMethod();
      job = jobId(othersJob);
      input = withUnknownFields(CancelRequest.newBuilder().setJobId(job).build());
    } else if (pick < 82) {
      method = TextToImageGrpc.getListModelsMethod();
      input = withUnknownFields(ListModelsRequest.getDefaultInstance());
    } else if (pick < 92) {
      method = TextToImageGrpc.getTokenizeMethod();
      input =
          withUnknownFields(
              TokenizeRequest.newBuilder().setPrompt(text(500)).setModel(model()).build());
    } else if (pick < 97) {
      method = TextToImageGrpc.getSubmitMethod();
      input = mutatedWire();
    } else {
      method = TextToImageGrpc.getSubmitMethod();
      input = randomBytes(random.nextInt(100));
    }
    if (!job.isEmpty() && random.nextInt(10) == 0) {
      // The job id as random bytes, mostly not UTF-8 at all.
      job = "";
      input = concat(new byte[] {0x0a, 32}, randomBytes(32));
    }
    Metadata headers = new Metadata();
    boolean validKey = key(headers);
    call(method, input, headers, job, validKey, outcomes, done);
  }

  /** Makes the call and records how it ended. */
  private void call(
      MethodDescriptor<?, ?> method,
      byte[] input,
      Metadata headers,
      String job,
      boolean validKey,
      List<Outcome> outcomes,
      Runnable done) {
    ClientCall<byte[], byte[]> call =
        channel.newCall(
            RawBytes.method(method), CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
    AtomicBoolean cancelledByUs = new AtomicBoolean();
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onMessage(byte[] message) {
            if (method == TextToImageGrpc.getSubmitMethod()) {
              ownJobIds.add(jobIdOf(message));
            }
            if (method.getType() == MethodDescriptor.MethodType.SERVER_STREAMING) {
              // Streams of jobs that nobody works on stay open: one event is enough.
              cancelledByUs.set(true);
              call.cancel("the fuzz test read enough", null);
            } else {
              call.request(1);
            }
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            Status seen = cancelledByUs.get() ? Status.OK : status;
            outcomes.add(new Outcome(method.getBareMethodName(), job, validKey, seen));
            done.run();
          }
        },
        headers);
    call.request(1);
    call.sendMessage(input);
    call.halfClose();
  }

  private static String jobIdOf(byte[] submitResponse) {
    try {
      return SubmitResponse.parseFrom(submitResponse).getJobId();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Puts a valid key in most calls, a wrong or no key in some; returns whether it is valid. */
  private boolean key(Metadata headers) {
    int pick = random.nextInt(100);
    if (pick < 45) {
      headers.put(ApiKeyInterceptor.AUTHORIZATION, "Bearer " + AuthenticatedProfile.FUZZ_KEY);
      return true;
    }
    if (pick < 90) {
      headers.put(ApiKeyInterceptor.X_API_KEY, AuthenticatedProfile.FUZZ_KEY);
      return true;
    }
    if (pick < 95) {
      return false;
    }
    String wrong = printableAscii(1 + random.nextInt(300));
    headers.put(
        random.nextBoolean() ? ApiKeyInterceptor.AUTHORIZATION : ApiKeyInterceptor.X_API_KEY,
        random.nextBoolean() ? "Bearer " + wrong : wrong);
    return false;
  }

  private byte[] generateRequest() {
    GenerateRequest.Builder request = GenerateRequest.newBuilder();
    if (random.nextInt(10) > 0) {
      request.setPrompt(text(300));
    }
    if (random.nextBoolean()) {
      request.setNegativePrompt(text(100));
    }
    request.setWidth(dimension()).setHeight(dimension());
    request.setSteps(smallOrWild(40));
    if (random.nextBoolean()) {
      request.setGuidanceScale(floatValue());
    }
    if (random.nextBoolean()) {
      request.setSeed(random.nextLong());
    }
    request.setCount(smallOrWild(3));
    request.setModel(model());
    if (random.nextInt(4) == 0) {
      request.setSchedulerValue(
          random.nextInt(10) == 0 ? random.nextInt() : random.nextInt(12) - 2);
    }
    if (random.nextInt(3) == 0) {
      request.setRequestId(
          random.nextInt(10) == 0 ? text(200) : "fuzz-" + random.nextInt(1_000_000_000));
    }
    return withUnknownFields(request.build());
  }

  /** A valid message's bytes, sometimes followed by fields this API does not define. */
  private byte[] withUnknownFields(MessageLite message) {
    if (random.nextInt(4) > 0) {
      return message.toByteArray();
    }
    UnknownFieldSet.Builder unknown = UnknownFieldSet.newBuilder();
    for (int i = random.nextInt(4); i >= 0; i--) {
      int number = 20 + random.nextInt(100_000);
      UnknownFieldSet.Field.Builder field = UnknownFieldSet.Field.newBuilder();
      switch (random.nextInt(4)) {
        case 0 -> field.addVarint(random.nextLong());
        case 1 -> field.addFixed32(random.nextInt());
        case 2 -> field.addFixed64(random.nextLong());
        default -> field.addLengthDelimited(ByteString.copyFrom(randomBytes(random.nextInt(64))));
      }
      unknown.addField(number, field.build());
    }
    return concat(message.toByteArray(), unknown.build().toByteArray());
  }

  /**
   * A GenerateRequest written field by field on the wire: valid encoding, but values the generated
   * builders cannot produce (enum numbers beyond int32, 10-byte negative varints, repeated scalars,
   * NaN bit patterns).
   */
  private byte[] mutatedWire() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      out.writeString(1, random.nextInt(5) == 0 ? "" : text(100));
      for (int i = random.nextInt(6); i >= 0; i--) {
        int field = 3 + random.nextInt(8);
        switch (field) {
          case 6 -> out.writeFixed32(6, random.nextInt(3) == 0 ? 0x7fc00000 : random.nextInt());
          case 7 -> out.writeInt64(7, random.nextLong());
          case 9 -> out.writeString(9, model());
          default -> out.writeUInt64(field, random.nextBoolean() ? random.nextLong() : -1L);
        }
      }
      if (random.nextBoolean()) {
        out.writeString(11, text(150));
      }
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private String jobId(String othersJob) {
    int pick = random.nextInt(10);
    if (pick == 0) {
      return othersJob;
    }
    if (pick < 4 && !ownJobIds.isEmpty()) {
      return ownJobIds.get(random.nextInt(ownJobIds.size()));
    }
    return text(200);
  }

  private String model() {
    return switch (random.nextInt(6)) {
      case 0, 1, 2 -> "";
      case 3 -> "tiny-random";
      default -> text(80);
    };
  }

  private int dimension() {
    return switch (random.nextInt(6)) {
      case 0, 1 -> 0;
      case 2 -> 8 * (1 + random.nextInt(16));
      case 3 -> -8 * random.nextInt(100);
      case 4 -> random.nextBoolean() ? Integer.MAX_VALUE : Integer.MIN_VALUE;
      default -> random.nextInt();
    };
  }

  private int smallOrWild(int small) {
    return switch (random.nextInt(5)) {
      case 0 -> 0;
      case 1, 2 -> 1 + random.nextInt(small);
      case 3 -> -random.nextInt(1000);
      default -> random.nextInt();
    };
  }

  private float floatValue() {
    return switch (random.nextInt(8)) {
      case 0 -> Float.NaN;
      case 1 -> Float.POSITIVE_INFINITY;
      case 2 -> Float.NEGATIVE_INFINITY;
      case 3 -> -0f;
      case 4 -> Float.MAX_VALUE;
      case 5 -> Float.intBitsToFloat(random.nextInt());
      default -> random.nextFloat() * 20;
    };
  }

  /**
   * Text of every kind: empty, blank, plain words, random code points (controls, emoji, CJK,
   * combining marks, private use), prompt syntax, and now and then far beyond every limit.
   */
  private String text(int typicalLength) {
    int pick = random.nextInt(100);
    if (pick < 8) {
      return "";
    }
    if (pick < 12) {
      return " \t\n".repeat(1 + random.nextInt(5));
    }
    if (pick < 40) {
      return "a (red:" + random.nextInt(5) + ".5) circle, [blue] ((square)) BREAK on white";
    }
    if (pick < 43) {
      // Beyond t2i.gateway.max-prompt-chars and any id length.
      return "x".repeat(20_001 + random.nextInt(300_000));
    }
    if (pick < 44 && random.nextInt(10) == 0) {
      // Beyond the gateway's 4 MiB message limit.
      return "y".repeat(4_200_000);
    }
    StringBuilder text = new StringBuilder();
    int length = random.nextInt(typicalLength + 1);
    while (text.length() < length) {
      int codePoint =
          switch (random.nextInt(5)) {
            case 0 -> random.nextInt(0x80);
            case 1 -> 0x1F300 + random.nextInt(0x400);
            case 2 -> 0x4E00 + random.nextInt(0x5000);
            case 3 -> 0x300 + random.nextInt(0x70);
            default -> random.nextInt(0xD800);
          };
      text.appendCodePoint(codePoint);
    }
    return text.toString();
  }

  private String printableAscii(int length) {
    StringBuilder text = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      text.append((char) (0x21 + random.nextInt(0x5e)));
    }
    return text.toString();
  }

  private byte[] randomBytes(int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] all = new byte[a.length + b.length];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
