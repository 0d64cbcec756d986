package t2i.pipeline.engine;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Checks, before any model loads, that a worker configured for a GPU has everything the GPU needs,
 * and refuses to start with a message naming what is missing and what to install. Without it, ONNX
 * Runtime either fails deep in a native call or, worse, leaves work on the CPU.
 */
public final class GpuPreflight {

  /** ONNX Runtime 1.22's CUDA provider: CUDA 12 and cuDNN 9, and the driver's own library. */
  private static final Map<String, String> CUDA_LIBRARIES = new LinkedHashMap<>();

  /** Its TensorRT provider: TensorRT 10 on top of the above. */
  private static final Map<String, String> TENSORRT_LIBRARIES = new LinkedHashMap<>();

  static {
    String driver =
        "the NVIDIA driver's user-space library (on the host: the driver package; in a container:"
            + " run it with the NVIDIA container toolkit)";
    String cuda = "the CUDA 12 runtime libraries (e.g. the cuda-libraries-12-x packages)";
    CUDA_LIBRARIES.put("libcuda.so.1", driver);
    CUDA_LIBRARIES.put("libcudart.so.12", cuda);
    CUDA_LIBRARIES.put("libcublas.so.12", cuda);
    CUDA_LIBRARIES.put("libcublasLt.so.12", cuda);
    CUDA_LIBRARIES.put("libcurand.so.10", cuda);
    CUDA_LIBRARIES.put("libcufft.so.11", cuda);
    CUDA_LIBRARIES.put("libcudnn.so.9", "cuDNN 9 for CUDA 12 (e.g. the libcudnn9-cuda-12 package)");
    String tensorRt =
        "TensorRT 10 (e.g. the libnvinfer10, libnvinfer-plugin10 and libnvonnxparsers10 packages)";
    TENSORRT_LIBRARIES.put("libnvinfer.so.10", tensorRt);
    TENSORRT_LIBRARIES.put("libnvinfer_plugin.so.10", tensorRt);
    TENSORRT_LIBRARIES.put("libnvonnxparser.so.10", tensorRt);
  }

  /**
   * What the checks look at.
   *
   * @param nvidiaProc the driver's directory under /proc; absent without a loaded driver
   * @param visibleDevices {@code CUDA_VISIBLE_DEVICES}, if set
   * @param libraries the shared libraries the dynamic loader can find, by file name
   * @param librarySearch where they were looked for, for messages
   * @param ortProviders the execution providers the ONNX Runtime build on the class path has
   */
  public record Machine(
      Path nvidiaProc,
      Optional<String> visibleDevices,
      Set<String> libraries,
      String librarySearch,
      Set<OrtProvider> ortProviders) {

    /** This machine, as the worker's process sees it. */
    public static Machine thisOne() {
      Set<String> libraries = new TreeSet<>();
      List<String> searched = new ArrayList<>();
      libraries.addAll(loaderCache());
      searched.add("ldconfig's cache");
      List<Path> dirs = new ArrayList<>();
      String path = System.getenv("LD_LIBRARY_PATH");
      if (path != null) {
        for (String dir : path.split(":", -1)) {
          if (!dir.isBlank()) {
            dirs.add(Path.of(dir));
          }
        }
      }
      dirs.add(Path.of("/usr/local/cuda/lib64"));
      for (Path dir : dirs) {
        libraries.addAll(filesIn(dir));
      }
      searched.add("LD_LIBRARY_PATH and /usr/local/cuda/lib64");
      return new Machine(
          Path.of("/proc/driver/nvidia"),
          Optional.ofNullable(System.getenv("CUDA_VISIBLE_DEVICES")),
          libraries,
          String.join(", ", searched),
          availableProviders());
    }

    private static Set<OrtProvider> availableProviders() {
      try {
        return OrtEnvironment.getAvailableProviders();
      } catch (RuntimeException | LinkageError e) {
        return EnumSet.noneOf(OrtProvider.class);
      }
    }

    private static Set<String> filesIn(Path dir) {
      if (!Files.isDirectory(dir)) {
        return Set.of();
      }
      try (Stream<Path> files = Files.list(dir)) {
        return files
            .map(f -> f.getFileName().toString())
            .collect(TreeSet::new, Set::add, Set::addAll);
      } catch (IOException e) {
        return Set.of();
      }
    }

    /** Library names from {@code ldconfig -p}: "libcudnn.so.9 (libc6,x86-64) => /usr/lib/...". */
    private static Set<String> loaderCache() {
      for (String ldconfig : List.of("/sbin/ldconfig", "/usr/sbin/ldconfig")) {
        if (!Files.isExecutable(Path.of(ldconfig))) {
          continue;
        }
        Set<String> names = new TreeSet<>();
        try {
          Process process = new ProcessBuilder(ldconfig, "-p").redirectErrorStream(true).start();
          try (BufferedReader out =
              new BufferedReader(
                  new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
              String trimmed = line.strip();
              int space = trimmed.indexOf(' ');
              if (trimmed.startsWith("lib") && space > 0) {
                names.add(trimmed.substring(0, space));
              }
            }
          }
          if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
          }
          return names;
        } catch (IOException e) {
          return names;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return names;
        }
      }
      return Set.of();
    }
  }

  /** A worker configured for a GPU that this machine cannot give it. */
  public static final class GpuUnavailable extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    GpuUnavailable(String message) {
      super(message);
    }
  }

  private GpuPreflight() {}

  /** {@link #check} on this machine, looked at only when the settings name a GPU. */
  public static void checkThisMachine(OrtEngineSettings settings) {
    if (settings.provider().usesGpu()) {
      check(settings, Machine.thisOne());
    }
  }

  /**
   * Passes for the CPU provider; for a GPU provider, checks in order the ONNX Runtime build, the
   * driver, the device id and the libraries, and throws at the first that is missing.
   *
   * @throws GpuUnavailable naming what is missing and what to install or change
   */
  public static void check(OrtEngineSettings settings, Machine machine) {
    ExecutionProvider provider = settings.provider();
    if (!provider.usesGpu()) {
      return;
    }
    String setting = "t2i.engine.execution-provider=" + provider;
    OrtProvider needed =
        provider == ExecutionProvider.CUDA ? OrtProvider.CUDA : OrtProvider.TENSOR_RT;
    if (!machine.ortProviders().contains(needed)) {
      throw new GpuUnavailable(
          setting
              + " needs the GPU build of ONNX Runtime (com.microsoft.onnxruntime:onnxruntime_gpu),"
              + " but this worker was packaged with a build that offers only "
              + machine.ortProviders()
              + ". Package the GPU variant (./mvnw -Pgpu package, or the -gpu image), or set"
              + " t2i.engine.execution-provider=CPU.");
    }
    if (!Files.isDirectory(machine.nvidiaProc())) {
      throw new GpuUnavailable(
          setting
              + ", but no NVIDIA driver is loaded on this machine ("
              + machine.nvidiaProc()
              + " does not exist). Install the NVIDIA driver (535 or newer for CUDA 12); on"
              + " Kubernetes, schedule the worker on a GPU node with the NVIDIA device plugin and"
              + " request nvidia.com/gpu.");
    }
    int devices = visibleDevices(machine);
    if (settings.deviceId() >= devices) {
      throw new GpuUnavailable(
          "t2i.engine.device-id="
              + settings.deviceId()
              + ", but "
              + (devices == 0
                  ? "no NVIDIA GPU is visible to this process"
                  : "this process sees " + devices + " NVIDIA GPU(s), ids 0 to " + (devices - 1))
              + machine.visibleDevices().map(v -> " (CUDA_VISIBLE_DEVICES=" + v + ")").orElse("")
              + ". Set t2i.engine.device-id to a GPU this process sees.");
    }
    Map<String, String> needs = new LinkedHashMap<>(CUDA_LIBRARIES);
    if (provider == ExecutionProvider.TensorRT) {
      needs.putAll(TENSORRT_LIBRARIES);
    }
    Map<String, List<String>> missingByRemedy = new LinkedHashMap<>();
    needs.forEach(
        (library, remedy) -> {
          if (!machine.libraries().contains(library)) {
            missingByRemedy.computeIfAbsent(remedy, r -> new ArrayList<>()).add(library);
          }
        });
    if (!missingByRemedy.isEmpty()) {
      StringBuilder message =
          new StringBuilder(setting)
              .append(", but ONNX Runtime's ")
              .append(provider)
              .append(" provider cannot load: libraries missing (searched ")
              .append(machine.librarySearch())
              .append("):");
      missingByRemedy.forEach(
          (remedy, libraries) ->
              message
                  .append(' ')
                  .append(String.join(", ", libraries))
                  .append(": install ")
                  .append(remedy)
                  .append(';'));
      message.append(" or run the GPU image, whose base carries them.");
      throw new GpuUnavailable(message.toString());
    }
  }

  /** GPUs the process may use: the driver's devices, narrowed by CUDA_VISIBLE_DEVICES. */
  private static int visibleDevices(Machine machine) {
    int installed;
    try (Stream<Path> gpus = Files.list(machine.nvidiaProc().resolve("gpus"))) {
      installed = (int) gpus.count();
    } catch (IOException e) {
      installed = 0;
    }
    Optional<String> visible = machine.visibleDevices();
    if (visible.isEmpty()) {
      return installed;
    }
    String list = visible.get().strip();
    if (list.isEmpty() || list.equals("-1") || list.equalsIgnoreCase("none")) {
      return 0;
    }
    if (list.equalsIgnoreCase("all")) {
      return installed;
    }
    long listed = Arrays.stream(list.split(",", -1)).filter(id -> !id.isBlank()).count();
    return (int) Math.min(installed, listed);
  }
}
