#![cfg(target_arch = "wasm32")]
//! The app shell mounts and shows its heading.

use wasm_bindgen::JsCast as _;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn shell_shows_heading() {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let _handle = leptos::mount::mount_to(root.clone().unchecked_into(), clerk_instant::app::App);
    leptos::task::tick().await;
    assert!(root.text_content().unwrap().contains("Clerk → Instant"));
}
