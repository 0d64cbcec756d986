package t2i.launcher;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import t2i.client.ApiKeyCommand;
import t2i.client.GenerateCommand;
import t2i.client.TokenizeCommand;

/** The {@code t2i} command line. */
@Command(
    name = "t2i",
    mixinStandardHelpOptions = true,
    description = "Text-to-image serving: run it locally or talk to a running gateway.",
    subcommands = {
      DemoCommand.class,
      UpCommand.class,
      TopCommand.class,
      BenchCommand.class,
      GenerateCommand.class,
      TokenizeCommand.class,
      ApiKeyCommand.class,
      EvaluateShapesCommand.class,
      ShapesGridCommand.class
    })
public final class Main implements Runnable {

  public static void main(String[] args) {
    LauncherLogging.quiet();
    System.exit(run(args));
  }

  /** Runs one command line and returns its exit code, without exiting the JVM. */
  public static int run(String... args) {
    CommandLine commandLine = new CommandLine(new Main());
    commandLine.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          cmd.getErr().println("error: " + e.getMessage());
          return 1;
        });
    return commandLine.execute(args);
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.err);
  }
}
