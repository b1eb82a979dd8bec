package io.cais.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cais.testing.Admin;
import io.cais.testing.AdminApi;
import io.cais.testing.Commands;
import io.cais.testing.Images;
import io.cais.testing.KubectlDryRun;
import io.cais.testing.OciLayouts;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web console in a real browser: Debian's headless Chromium driven through its chromedriver (Selenium). Signs in,
 * browses to a multi-architecture image pushed here, creates a robot and takes its Kubernetes Secret from the page,
 * signs out. Saves screenshots of the pages it visits (docs/console.md shows them; see SCREENSHOTS for where).
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class ConsoleBrowserTest {

    /** target/ by default, so that a test run leaves the working tree clean; docs/console/ with -Dcais.screenshots=docs/console. */
    private static final Path SCREENSHOTS = Path.of(System.getProperty("cais.screenshots", "target/console-screenshots"));
    private static WebDriver browser;

    @TestHTTPResource("/")
    URL root;

    @BeforeAll
    static void startBrowser() {
        Path chromium = Commands.require("chromium", "apt-get install -y chromium chromium-driver");
        Path driver = Commands.require("chromedriver", "apt-get install -y chromium chromium-driver");
        ChromeOptions options = new ChromeOptions().setBinary(chromium.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1440,1000",
                        "--lang=en");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile()).build();
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().implicitlyWait(Duration.ofSeconds(5));
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void signInBrowseToAMultiArchTagCreateARobotTakeItsSecretAndSignOut() throws Exception {
        String namespace = AdminApi.namespace("shop", "private");
        String repository = namespace + "/web";
        OciLayouts.Index index = Images.pushIndex(repository, "1.0", "amd64", "arm64");
        Images.push(namespace + "/worker", "latest");
        long contentBytes = index.images().stream().mapToLong(image -> image.config().size()
                + image.layers().stream().mapToLong(OciLayouts.Blob::size).sum()).sum();

        open("/ui");
        assertThat(browser.getCurrentUrl()).contains("/ui/login");
        screenshot("sign-in");
        browser.findElement(By.id("username")).sendKeys(Admin.USER);
        browser.findElement(By.id("password")).sendKeys(Admin.PASSWORD);
        browser.findElement(By.id("sign-in")).click();
        assertThat(browser.findElement(By.id("signed-in-user")).getText()).isEqualTo(Admin.USER);
        screenshot("namespaces");

        browser.findElement(By.linkText(namespace)).click();
        assertThat(browser.findElement(By.id("repositories")).getText()).contains(repository).contains(namespace + "/worker");
        screenshot("repositories");

        browser.findElement(By.linkText(repository)).click();
        WebElement row = browser.findElement(By.cssSelector("tr[data-tag='1.0']"));
        assertThat(row.findElements(By.cssSelector(".platforms .badge")).stream().map(WebElement::getText))
                .containsExactly("linux/amd64", "linux/arm64");
        assertThat(row.findElement(By.cssSelector(".size")).getText()).isEqualTo(Format.bytes(contentBytes));
        screenshot("tags");

        row.findElement(By.linkText("1.0")).click();
        assertThat(browser.findElement(By.id("children")).getText()).contains("linux/amd64").contains("linux/arm64");
        String host = root.getAuthority();
        assertThat(browser.findElement(By.id("pull-tag-docker")).getText()).isEqualTo("docker pull " + host + "/" + repository + ":1.0");
        assertThat(browser.findElement(By.id("pull-digest-crictl")).getText())
                .isEqualTo("crictl pull " + host + "/" + repository + "@" + index.index().digest());
        screenshot("manifest-index");
        browser.findElement(By.cssSelector("#children a")).click();
        assertThat(browser.findElement(By.id("layers")).getText()).contains(Format.bytes(index.images().getFirst().layers().getFirst().size()));
        assertThat(browser.findElement(By.id("config-summary")).getText()).contains("linux/amd64");
        screenshot("manifest-image");

        open("/ui/namespaces/" + namespace + "/policies");
        browser.findElement(By.id("policy-name")).sendKeys("releases");
        browser.findElement(By.id("policy-tags")).sendKeys("1.*");
        browser.findElement(By.id("policy-description")).sendKeys("releases are never moved");
        browser.findElement(By.cssSelector("form[action$='/policies'] button[type='submit']")).click();
        assertThat(browser.findElement(By.cssSelector("tr[data-policy='releases']")).getText()).contains("immutable").contains("1.*");
        screenshot("policies");
        open("/ui/repositories/" + repository + "/-/tags");
        assertThat(browser.findElement(By.cssSelector("tr[data-tag='1.0'] .badge.immutable")).getText()).isEqualTo("immutable");

        open("/ui/namespaces/" + namespace + "/robots");
        browser.findElement(By.id("robot-name")).sendKeys("deployer");
        browser.findElement(By.id("create-robot")).click();
        WebElement secretYaml = browser.findElement(By.id("kubernetes-secret"));
        browser.findElement(By.cssSelector("button[data-copy='kubernetes-secret']")).click();
        String yaml = secretYaml.getText() + "\n";
        screenshot("robot-secret");
        assertValidPullSecret(yaml, host, namespace + "+deployer", repository);

        browser.findElement(By.id("sign-out")).click();
        assertThat(browser.getCurrentUrl()).contains("/ui/login");
        open("/ui/namespaces/" + namespace);
        assertThat(browser.getCurrentUrl()).contains("/ui/login");
    }

    /**
     * The copied YAML is what kubectl itself makes of these credentials, kubectl accepts it as a Secret, and its
     * config.json's credentials pull from the registry.
     */
    private static void assertValidPullSecret(String yaml, String host, String username, String repository) throws Exception {
        JsonNode created;
        try (KubectlDryRun kubectl = new KubectlDryRun()) {
            Commands.Result result = kubectl.create(yaml);
            assertThat(result.exitCode()).as(result.describe()).isZero();
            created = new ObjectMapper().readTree(result.stdout());
        }
        assertThat(created.path("kind").asText()).isEqualTo("Secret");
        assertThat(created.path("type").asText()).isEqualTo("kubernetes.io/dockerconfigjson");
        JsonNode auth = new ObjectMapper().readTree(Base64.getDecoder().decode(created.path("data").path(".dockerconfigjson")
                .asText())).path("auths").path(host);
        assertThat(auth.path("username").asText()).isEqualTo(username);
        String password = auth.path("password").asText();
        Commands.Result reference = Commands.ok(Path.of(""), Duration.ofSeconds(60), "kubectl", "create", "secret",
                "docker-registry", created.path("metadata").path("name").asText(), "--docker-server=" + host,
                "--docker-username=" + username, "--docker-password=" + password, "--dry-run=client", "-o", "yaml");
        assertThat(yaml).isEqualTo(reference.stdout());
        given().header("Authorization", Admin.basic(username, password)).get("/v2/" + repository + "/tags/list")
                .then().statusCode(200);
    }

    private void open(String path) {
        browser.get(root.toString().replaceAll("/$", "") + path);
    }

    private static void screenshot(String name) throws Exception {
        Files.createDirectories(SCREENSHOTS);
        File shot = ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }
}
