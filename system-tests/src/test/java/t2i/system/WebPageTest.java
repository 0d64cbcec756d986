package t2i.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import t2i.launcher.LocalCluster;
import t2i.launcher.Service;

/**
 * The gateway's web page in a real browser (the system's Chromium, headless, through its
 * chromedriver) against the services of a cluster of its own (it restarts a gateway and adds one,
 * which the other test classes' shared cluster must not see): generating, watching previews and
 * progress, cancelling, the history after a reload, the token inspector and refusals; and, on a
 * gateway with API keys, the key dialog and tenant separation. Screenshots go to {@code
 * system-tests/target/screenshots} (copies of them illustrate the README in {@code docs/}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebPageTest {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static @Nullable ChromeDriver browser;
  private static String page = "";
  private static @Nullable LocalCluster cluster;
  private static final Path SCREENSHOTS =
      Path.of(System.getProperty("repo.root"), "system-tests/target/screenshots");

  /** The job the first test generates, found again after a reload, and its seed. */
  private static String generatedJob = "";

  private static String generatedSeed = "";

  @BeforeAll
  static void openBrowser() throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver);"
            + " .ci/run installs them");
    Path home = Path.of(System.getProperty("repo.root"));
    LocalCluster started =
        LocalCluster.start(
            LocalCluster.Options.forCheckout(home)
                .withLogDir(home.resolve("system-tests/target/web-page-logs"))
                .withDefaultModel("tiny-random")
                .withExtraConfig(
                    Map.of(
                        "t2i.gateway.quota.max-jobs-in-flight", "1000",
                        "t2i.gateway.quota.max-submissions", "100000")),
            line -> System.out.println("web page cluster: " + line));
    cluster = started;
    page = started.webAddress();
    Files.createDirectories(SCREENSHOTS);
    browser = startBrowser();
  }

  static ChromeDriver startBrowser() {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000");
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
    return new ChromeDriver(service, options);
  }

  @AfterAll
  static void closeBrowser() {
    try {
      if (browser != null) {
        browser.quit();
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  @BeforeEach
  void openPage() {
    browser().get(page);
    waitUntil(
        () -> !new org.openqa.selenium.support.ui.Select(byId("model")).getOptions().isEmpty());
  }

  @Test
  @Order(1)
  void enterGeneratesAnImage_showsItsSeed_andListsItInTheGallery() throws IOException {
    byId("prompt").sendKeys("a red circle at the top left on a white background");
    byId("steps").sendKeys("8");
    byId("prompt").sendKeys(Keys.ENTER);

    waitUntil(() -> !browser().findElements(By.cssSelector("#result img.result-image")).isEmpty());
    generatedJob = byId("job-id").getText().strip();
    generatedSeed = byId("seed-used").getText().strip();
    assertThat(generatedJob).isNotEmpty();
    assertThat(generatedSeed).matches("\\d+");
    assertThat(naturalWidth(browser().findElement(By.cssSelector("#result img.result-image"))))
        .isEqualTo(64);
    waitUntil(() -> "SUCCEEDED".equals(cardState(generatedJob)));
    screenshot("web-generate.png");
  }

  @Test
  @Order(2)
  void aLongJob_showsProgressAndPreviews_andTheCancelButtonStopsIt() throws IOException {
    byId("prompt").sendKeys("a long job to watch");
    setValue("model", "tiny-random");
    byId("width").sendKeys("1024");
    byId("height").sendKeys("1024");
    byId("steps").sendKeys("150");
    byId("generate").click();

    Set<Integer> progressSeen = new TreeSet<>();
    List<String> previewsSeen = new ArrayList<>();
    new WebDriverWait(browser(), WAIT)
        .pollingEvery(Duration.ofMillis(50))
        .until(
            driver -> {
              String value = byId("progress").getDomProperty("value");
              if (value != null && !value.isEmpty()) {
                progressSeen.add((int) Double.parseDouble(value));
              }
              String preview = byId("preview").getDomProperty("src");
              if (preview != null
                  && preview.startsWith("data:image/png")
                  && (previewsSeen.isEmpty() || !previewsSeen.getLast().equals(preview))) {
                previewsSeen.add(preview);
              }
              return previewsSeen.size() >= 2
                  && progressSeen.stream().filter(v -> v > 0).count() >= 2;
            });
    assertThat(byId("preview").isDisplayed()).isTrue();
    screenshot("web-previews.png");
    String jobId = byId("job-id").getText().strip();

    byId("cancel").click();

    waitUntil(() -> byId("status").getText().contains("Cancel"));
    assertThat(progressSeen.stream().filter(v -> v > 0 && v < 150).count())
        .isGreaterThanOrEqualTo(2);
    waitUntil(() -> "CANCELLED".equals(cardState(jobId)));
  }

  @Test
  @Order(3)
  void afterAGatewayRestartAndAReload_theHistoryHoldsTheJob_andOpensItFullSize()
      throws IOException, InterruptedException {
    Assumptions.assumeFalse(generatedJob.isEmpty(), "the generating test did not pass");
    String gateway = cluster().instances(Service.GATEWAY).getFirst();
    assertThat(cluster().terminate(gateway, Duration.ofSeconds(30))).isZero();
    cluster().restart(gateway);

    browser().navigate().refresh();

    waitUntil(() -> !cardState(generatedJob).isEmpty());
    screenshot("web-gallery.png", "gallery");
    byCss(".job-card[data-job-id='" + generatedJob + "']").click();
    waitUntil(
        () ->
            byId("job-detail").isDisplayed()
                && !browser().findElements(By.cssSelector("#job-detail img.detail-image")).isEmpty()
                && naturalWidth(
                        browser().findElement(By.cssSelector("#job-detail img.detail-image")))
                    == 64);
    WebElement download = browser().findElement(By.cssSelector("#job-detail a.download"));
    assertThat(download.getDomAttribute("download")).isEqualTo("t2i-" + generatedJob + "-0.png");

    byId("rerun-same").click();

    waitUntil(
        () ->
            !byId("job-id").getText().strip().equals(generatedJob)
                && !browser().findElements(By.cssSelector("#result img.result-image")).isEmpty());
    assertThat(byId("seed-used").getText().strip()).isEqualTo(generatedSeed);
  }

  @Test
  @Order(4)
  void theTokenInspector_marksAnEmojisByteTokens_andCountsTheWindow() throws IOException {
    // chromedriver types only characters of the Basic Multilingual Plane; the emoji goes in by
    // script, with the input event typing would fire.
    ((JavascriptExecutor) browser())
        .executeScript(
            "const p = document.getElementById('prompt'); p.value = 'a (red:1.3) vampire \\uD83E\\uDDDB at night';"
                + " p.dispatchEvent(new Event('input', {bubbles: true}));");

    waitUntil(
        () ->
            browser().findElements(By.cssSelector("#inspector .token.byte-fragment")).size() >= 2);
    List<WebElement> weighted =
        browser().findElements(By.cssSelector("#inspector .token[data-weight]"));
    assertThat(weighted)
        .anySatisfy(t -> assertThat(t.getDomAttribute("data-weight")).startsWith("1.3"));
    assertThat(byId("token-counts").getText()).contains("window 1");
    screenshot("web-inspector.png", "inspector");
  }

  @Test
  @Order(5)
  void aBadSize_isRefusedInWordsNextToTheWidthField() {
    byId("prompt").sendKeys("a red circle");
    byId("width").sendKeys("100");
    byId("generate").click();

    waitUntil(() -> byId("error-width").isDisplayed() && !byId("error-width").getText().isBlank());
    assertThat(byId("error-width").getText()).contains("multiple of 8");
    assertThat(browser().findElements(By.cssSelector("#result img.result-image"))).isEmpty();
  }

  @Test
  @Order(6)
  void withApiKeys_thePageAsksForAKeyOnce_andShowsOnlyThatTenantsJobs() throws Exception {
    String key = "web-test-key-0123456789";
    String hash =
        java.util.HexFormat.of()
            .formatHex(
                java.security.MessageDigest.getInstance("SHA-256")
                    .digest(key.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    int port = freePort();
    cluster()
        .addGateway(
            Map.of(
                "t2i.gateway.auth.enabled",
                "true",
                "t2i.gateway.auth.keys",
                "web-team:" + hash,
                "quarkus.http.port",
                Integer.toString(port)));
    // The other test classes share the cluster: it goes again when this test ends.
    String added = cluster().instances(Service.GATEWAY).getLast();
    try {
      seesOnlyItsOwnJobs(port, key);
    } finally {
      cluster().terminate(added, Duration.ofSeconds(30));
    }
  }

  private void seesOnlyItsOwnJobs(int port, String key) {
    browser().get("http://localhost:" + port + "/");

    waitUntil(() -> byId("api-key-dialog").isDisplayed());
    byId("api-key").sendKeys(key);
    byId("api-key-save").click();
    waitUntil(
        () -> !new org.openqa.selenium.support.ui.Select(byId("model")).getOptions().isEmpty());
    byId("prompt").sendKeys("a blue square");
    byId("steps").sendKeys("4");
    byId("prompt").sendKeys(Keys.ENTER);
    waitUntil(() -> !browser().findElements(By.cssSelector("#result img.result-image")).isEmpty());
    String ownJob = byId("job-id").getText().strip();

    browser().navigate().refresh();
    waitUntil(() -> !cardState(ownJob).isEmpty());
    assertThat(byId("api-key-dialog").isDisplayed())
        .as("the key is kept for the session")
        .isFalse();
    List<String> listed =
        browser().findElements(By.cssSelector(".job-card")).stream()
            .map(c -> c.getDomAttribute("data-job-id"))
            .toList();
    assertThat(listed).containsExactly(ownJob).doesNotContain(generatedJob);
    Object stored =
        java.util.Objects.requireNonNull(
            ((JavascriptExecutor) browser())
                .executeScript(
                    "return [sessionStorage.getItem('t2i.apiKey'), JSON.stringify(localStorage)];"));
    assertThat(stored.toString()).contains(key);
    assertThat(((List<?>) stored).get(1).toString()).doesNotContain(key);
  }

  @Test
  @Order(7)
  void onAPhoneSizedScreen_thePageFitsItsWidth() {
    browser().manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
    try {
      browser().get(page);
      waitUntil(() -> byId("prompt").isDisplayed());
      Object overflow =
          ((JavascriptExecutor) browser())
              .executeScript(
                  "return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
      assertThat(overflow)
          .isInstanceOfSatisfying(
              Number.class, n -> assertThat(n.intValue()).isLessThanOrEqualTo(0));
      assertThat(byId("generate").isDisplayed()).isTrue();
    } finally {
      browser().manage().window().setSize(new org.openqa.selenium.Dimension(1280, 1000));
    }
  }

  /** The state the gallery shows for a job; empty while it does not list the job. */
  private static String cardState(String jobId) {
    List<WebElement> cards =
        browser().findElements(By.cssSelector(".job-card[data-job-id='" + jobId + "']"));
    if (cards.isEmpty()) {
      return "";
    }
    String state = cards.getFirst().getDomAttribute("data-state");
    return state == null ? "?" : state;
  }

  private static WebElement byCss(String selector) {
    return browser().findElement(By.cssSelector(selector));
  }

  private static long naturalWidth(WebElement image) {
    Object width =
        ((JavascriptExecutor) browser()).executeScript("return arguments[0].naturalWidth;", image);
    return width instanceof Number n ? n.longValue() : 0;
  }

  private static void setValue(String id, String value) {
    ((JavascriptExecutor) browser())
        .executeScript(
            "const e = document.getElementById(arguments[0]); e.value = arguments[1];"
                + " e.dispatchEvent(new Event('change', {bubbles: true}));",
            id,
            value);
  }

  private static WebElement byId(String id) {
    return browser().findElement(By.id(id));
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition) {
    new WebDriverWait(browser(), WAIT)
        .pollingEvery(Duration.ofMillis(100))
        .ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .ignoring(NullPointerException.class)
        .until(driver -> condition.getAsBoolean());
  }

  /** A screenshot of one part of the page, scrolled into view. */
  private static void screenshot(String name, String elementId) throws IOException {
    WebElement element = byId(elementId);
    ((JavascriptExecutor) browser()).executeScript("arguments[0].scrollIntoView();", element);
    Path shot = element.getScreenshotAs(OutputType.FILE).toPath();
    Files.copy(shot, SCREENSHOTS.resolve(name), StandardCopyOption.REPLACE_EXISTING);
  }

  private static void screenshot(String name) throws IOException {
    Path shot = ((TakesScreenshot) browser()).getScreenshotAs(OutputType.FILE).toPath();
    Files.copy(shot, SCREENSHOTS.resolve(name), StandardCopyOption.REPLACE_EXISTING);
  }

  private static LocalCluster cluster() {
    if (cluster == null) {
      throw new IllegalStateException("the cluster did not start");
    }
    return cluster;
  }

  private static ChromeDriver browser() {
    if (browser == null) {
      throw new IllegalStateException("the browser did not start");
    }
    return browser;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
