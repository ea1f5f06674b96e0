//! Failing or holding up one of the page's requests, as a network does:
//! for the app and Instant client browser tests.

#![allow(dead_code)] // each test file uses its own subset

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
function on_next_fetch_to(pathEnd, answer) {
  // The next fetch to a URL ending in pathEnd gets `answer(fetch, input,
  // init)` instead; fetch is itself again from then on.
  const fetch = window.fetch;
  window.fetch = function (input, init) {
    const url = typeof input === 'string' ? input : input.url;
    if (url.endsWith(pathEnd)) {
      window.fetch = fetch;
      return answer(fetch, input, init);
    }
    return fetch.call(this, input, init);
  };
}
export function fail_next_fetch_to(pathEnd) {
  // As the browser answers a request made offline; the promise settles
  // when the page has made that request.
  return new Promise((made) => {
    on_next_fetch_to(pathEnd, () => {
      made();
      return Promise.reject(new TypeError('Failed to fetch'));
    });
  });
}
export function delay_next_fetch_to(pathEnd, ms) {
  // As a slow network holds a request (which the page may abort meanwhile,
  // as a fetch it has given up on); the promise settles when the request
  // has been sent.
  return new Promise((sent) => {
    on_next_fetch_to(pathEnd, (fetch, input, init) => {
      sent();
      // A Request (as gloo-net sends) carries its own signal.
      const signal = (init && init.signal) || (typeof input === 'string' ? null : input.signal);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        if (signal) signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(signal.reason);
        });
      }).then(() => fetch.call(window, input, init));
    });
  });
}
export function answer_next_fetch_to(pathEnd, status, body) {
  // As a server (or a proxy in front of it) answers: any status, any text.
  on_next_fetch_to(pathEnd, () => Promise.resolve(new Response(body, { status })));
}
export function stall_body_of_next_fetch_to(pathEnd) {
  // The status and headers come, the body never ends: as the browser
  // does, aborting the request fails the body.
  on_next_fetch_to(pathEnd, (fetch, input, init) => {
    const signal = (init && init.signal) || (typeof input === 'string' ? null : input.signal);
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"user": {'));
        if (signal) signal.addEventListener('abort', () => controller.error(signal.reason));
      },
    });
    return Promise.resolve(new Response(body, { status: 200 }));
  });
}
"#)]
extern "C" {
    /// Makes the page's next `fetch` to a URL ending in `path_end` fail as
    /// a request made offline does; the promise settles once the page has
    /// made it.
    pub fn fail_next_fetch_to(path_end: &str) -> js_sys::Promise;
    /// Holds the page's next `fetch` to a URL ending in `path_end` for `ms`
    /// before it goes out, unless the page aborts it first; the promise
    /// settles once the page has sent it.
    pub fn delay_next_fetch_to(path_end: &str, ms: u32) -> js_sys::Promise;
    /// Answers the page's next `fetch` to a URL ending in `path_end` with
    /// `status` and `body`, without a request.
    pub fn answer_next_fetch_to(path_end: &str, status: u16, body: &str);
    /// Answers the page's next `fetch` to a URL ending in `path_end` with a
    /// 200 whose body never ends (until the page aborts the request).
    pub fn stall_body_of_next_fetch_to(path_end: &str);
}
