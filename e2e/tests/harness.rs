//! The harness's own checks, on small pages of its own (no app, no
//! emulator): the console and accessibility checks must catch what the
//! end-to-end test relies on them to catch, or a green e2e run would mean
//! nothing.

use e2e::{BrowserOptions, ChromeDriver, ColorScheme, StaticServer};

/// A page axe-core passes in the light color scheme; in the dark one its
/// note is dark grey on near black.
const ACCESSIBLE_PAGE: &str = "<!DOCTYPE html><html lang=\"en\"><head><title>Accessible</title>\
     <style>:root { color-scheme: light dark; } body { background: #fff; color: #111; }\
     @media (prefers-color-scheme: dark) { body { background: #111; color: #eee; } \
     .note { color: #333; } }</style></head>\
     <body><main><h1>Fine</h1><p class=\"note\">ready</p></main></body></html>";

/// A page with an image without alt text and a button without a name.
const INACCESSIBLE_PAGE: &str = "<!DOCTYPE html><html lang=\"en\"><head><title>Broken</title></head>\
     <body><main><h1>Broken</h1><p>ready</p>\
     <img src=\"data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==\">\
     <button type=\"button\" class=\"nameless\"></button></main></body></html>";

/// A page that runs `script`, then says "ready" in a timer queued after
/// it: by the time "ready" shows, the script's own timers, errors and
/// rejections have happened.
fn page(script: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><title>t</title></head><body>\
         <label for=\"e\">Email address</label><input id=\"e\" type=\"email\">\
         <button type=\"button\" onclick=\"document.body.dataset.clicked = document.getElementById('e').value\">Continue</button>\
         <p id=\"out\"></p><script>{script}\n\
         setTimeout(() => {{ document.getElementById('out').textContent = 'ready'; }}, 0);\
         </script></body></html>"
    )
}

struct Site {
    _dir: tempfile::TempDir,
    server: StaticServer,
    driver: ChromeDriver,
    options: BrowserOptions,
}

fn site() -> Site {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = [
        ("index.html", page("")),
        ("error.html", page("console.error('something broke');")),
        (
            "throw.html",
            page("setTimeout(() => { throw new Error('uncaught boom'); }, 0);"),
        ),
        (
            "reject.html",
            page("Promise.reject(new Error('nobody caught me'));"),
        ),
        (
            "handled.html",
            page("Promise.reject(new Error('x')).catch(() => {}); console.log('fine');"),
        ),
        ("accessible.html", ACCESSIBLE_PAGE.to_owned()),
        ("inaccessible.html", INACCESSIBLE_PAGE.to_owned()),
    ];
    for (name, body) in files {
        std::fs::write(dir.path().join(name), body).expect("write page");
    }
    let server = StaticServer::start(dir.path()).expect("serve pages");
    let driver = ChromeDriver::start().expect("start chromedriver");
    let workspace = e2e::workspace_root();
    let target = e2e::files_dir(&workspace);
    let options = BrowserOptions {
        width: 640,
        height: 480,
        screenshot_dir: target.join("e2e/harness-screenshots"),
        profile_parent: target.join("e2e/profiles"),
    };
    Site {
        _dir: dir,
        server,
        driver,
        options,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn console_check_catches_errors_and_unhandled_rejections_in_every_tab() {
    let site = site();
    let mut browser = e2e::Browser::open(site.driver.url(), site.options.clone())
        .await
        .expect("open chromium");

    browser.goto(&site.server.url("/")).await.unwrap();
    browser.wait_for_text("ready").await.unwrap();
    browser
        .check_console("on a clean page")
        .await
        .expect("no problems");

    browser
        .goto(&site.server.url("/handled.html"))
        .await
        .unwrap();
    browser.wait_for_text("ready").await.unwrap();
    browser
        .check_console("after a handled rejection")
        .await
        .expect("handled rejections and console.log are fine");

    for (path, expected) in [
        ("/error.html", "something broke"),
        ("/throw.html", "uncaught boom"),
        ("/reject.html", "nobody caught me"),
    ] {
        browser.goto(&site.server.url(path)).await.unwrap();
        browser.wait_for_text("ready").await.unwrap();
        let err = browser
            .check_console(path)
            .await
            .expect_err("the problem must be reported");
        assert!(err.to_string().contains(expected), "{path}: {err}");
    }

    // A problem in a second tab is reported too, even after switching back.
    let first = browser.current_tab().await.unwrap();
    browser.open_tab().await.unwrap();
    browser
        .goto(&site.server.url("/reject.html"))
        .await
        .unwrap();
    browser.wait_for_text("ready").await.unwrap();
    browser.switch_to_tab(&first).await.unwrap();
    let err = browser
        .check_console("in the second tab")
        .await
        .expect_err("the second tab's rejection must be reported");
    assert!(err.to_string().contains("nobody caught me"), "{err}");

    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn finds_fields_and_buttons_by_label_and_name_and_takes_screenshots() {
    let site = site();
    let browser = e2e::Browser::open(site.driver.url(), site.options.clone())
        .await
        .expect("open chromium");
    browser.goto(&site.server.url("/")).await.unwrap();

    browser
        .fill_field("Email address", "ada@example.com")
        .await
        .unwrap();
    browser.click_button("continue").await.unwrap();
    let clicked = browser
        .client()
        .execute("return document.body.dataset.clicked;", vec![])
        .await
        .unwrap();
    assert_eq!(clicked, "ada@example.com");
    assert!(browser
        .find_by_role("button", "Sign out")
        .await
        .unwrap()
        .is_none());
    // Only the whole name counts.
    assert!(browser
        .find_by_role("button", "Cont")
        .await
        .unwrap()
        .is_none());

    let path = browser.screenshot("harness-page").await.unwrap();
    let png = std::fs::read(&path).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // Width and height from the IHDR chunk: the viewport, exactly.
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (640, 480));

    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn accessibility_check_reports_each_violation_in_light_and_dark() {
    let site = site();
    let mut browser = e2e::Browser::open(site.driver.url(), site.options.clone())
        .await
        .expect("open chromium");

    browser
        .goto(&site.server.url("/accessible.html"))
        .await
        .unwrap();
    browser.wait_for_text("ready").await.unwrap();
    browser
        .check_accessibility("on a clean page")
        .await
        .expect("a clean page passes");

    browser
        .emulate_color_scheme(Some(ColorScheme::Dark))
        .await
        .unwrap();
    let err = browser
        .check_accessibility("in the dark")
        .await
        .expect_err("the dark note's contrast must be reported");
    let report = err.to_string();
    assert!(report.contains("in the dark"), "{report}");
    assert!(report.contains("color-contrast (serious)"), "{report}");
    // The element: axe's selector for it, and its HTML.
    assert!(report.contains("  at p\n"), "{report}");
    assert!(report.contains("<p class=\"note\">ready</p>"), "{report}");

    browser
        .emulate_color_scheme(Some(ColorScheme::Light))
        .await
        .unwrap();
    browser
        .check_accessibility("back in the light")
        .await
        .expect("light again");

    browser
        .goto(&site.server.url("/inaccessible.html"))
        .await
        .unwrap();
    browser.wait_for_text("ready").await.unwrap();
    let report = browser
        .check_accessibility("on a broken page")
        .await
        .expect_err("the violations must be reported")
        .to_string();
    assert!(report.contains("2 rule(s) broken"), "{report}");
    assert!(report.contains("- image-alt (critical)"), "{report}");
    assert!(report.contains("- button-name (critical)"), "{report}");
    assert!(
        report.contains("<button type=\"button\" class=\"nameless\">"),
        "{report}"
    );
    assert!(report.contains("Fix"), "{report}");

    browser.close().await.unwrap();
}
