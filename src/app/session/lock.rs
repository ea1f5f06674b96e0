//! A lock the tabs of this browser share (the Web Locks API), held by an
//! exchange from before its token to its stored session, so that two tabs
//! in view that hear of the same Clerk sign-in before either's sign-in
//! marker reaches the other make one exchange, not two: the second finds
//! the first one's session once it holds the lock.
//!
//! web-sys binds `navigator.locks` only under `--cfg web_sys_unstable_apis`,
//! which every build of an app using this library would need; the two
//! calls used are bound here instead. Where the browser has no Web Locks
//! (an old browser, or a page served over plain HTTP from a host other
//! than this computer, which is not a secure context), exchanges go ahead
//! without a lock.

use futures::channel::oneshot;
use futures::future::{select, Either};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// `navigator.locks`.
    type LockManager;

    /// `locks.request(name, callback)`: calls `callback` once the lock is
    /// granted and holds it until the promise `callback` returns settles.
    #[wasm_bindgen(method, catch)]
    fn request(
        this: &LockManager,
        name: &str,
        callback: &js_sys::Function,
    ) -> Result<js_sys::Promise, JsValue>;
}

/// The name of the lock exchanges for `app_id` hold (see the module docs).
pub fn exchange_lock_name(app_id: &str) -> String {
    format!("clerk-instant.{app_id}.exchange")
}

/// A Web Lock this page holds; dropping it lets it go.
pub(super) struct HeldLock {
    release: js_sys::Function,
}

impl HeldLock {
    /// A way to let go of this lock before it is dropped, from elsewhere
    /// (work that overtakes the work holding it, say).
    pub(super) fn early_release(&self) -> EarlyRelease {
        EarlyRelease(self.release.clone())
    }
}

/// Lets go of a [`HeldLock`] before it is dropped; letting go of it again
/// (or dropping it after) changes nothing.
pub(super) struct EarlyRelease(js_sys::Function);

impl EarlyRelease {
    pub(super) fn release(self) {
        let _ = self.0.call0(&JsValue::UNDEFINED);
    }
}

impl Drop for HeldLock {
    fn drop(&mut self) {
        let _ = self.release.call0(&JsValue::UNDEFINED);
    }
}

/// Waits until this page holds the lock `name`; `None` at once where the
/// browser has no Web Locks or refuses the request. A wait dropped before
/// the lock comes lets it go as soon as it does.
pub(super) async fn acquire(name: &str) -> Option<HeldLock> {
    let navigator = web_sys::window()?.navigator();
    let locks = js_sys::Reflect::get(&navigator, &JsValue::from_str("locks")).ok()?;
    if locks.is_undefined() || locks.is_null() {
        return None;
    }
    let (grant, granted) = oneshot::channel::<js_sys::Function>();
    let mut grant = Some(grant);
    let callback = Closure::once_into_js(move |_lock: JsValue| {
        // Held until `release` is called.
        js_sys::Promise::new(&mut |release, _reject| {
            if let Some(Err(release)) = grant.take().map(|grant| grant.send(release)) {
                // Nobody waits for it any more.
                let _ = release.call0(&JsValue::UNDEFINED);
            }
        })
    });
    let request = locks
        .unchecked_into::<LockManager>()
        .request(name, callback.unchecked_ref())
        .ok()?;
    // The request's promise settles only after a release, or when the
    // browser refuses the request (then the callback never runs).
    match select(granted, JsFuture::from(request)).await {
        Either::Left((Ok(release), _)) => Some(HeldLock { release }),
        _ => None,
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// Whether `name` is free: a request that does not wait gets it.
    async fn is_free(name: &str) -> bool {
        let locks = js_sys::Reflect::get(
            &web_sys::window().unwrap().navigator(),
            &JsValue::from_str("locks"),
        )
        .unwrap();
        let query = js_sys::Reflect::get(&locks, &JsValue::from_str("query"))
            .unwrap()
            .unchecked_into::<js_sys::Function>()
            .call0(&locks)
            .unwrap();
        let snapshot = JsFuture::from(query.unchecked_into::<js_sys::Promise>())
            .await
            .unwrap();
        let held = js_sys::Reflect::get(&snapshot, &JsValue::from_str("held")).unwrap();
        let held = js_sys::Array::from(&held);
        !held.iter().any(|lock| {
            js_sys::Reflect::get(&lock, &JsValue::from_str("name"))
                .ok()
                .and_then(|held| held.as_string())
                .as_deref()
                == Some(name)
        })
    }

    async fn next_turn() {
        gloo_timers::future::TimeoutFuture::new(20).await;
    }

    #[wasm_bindgen_test]
    async fn a_lock_is_held_until_dropped_and_a_second_waits_for_it() {
        let name = "lock-test.one-at-a-time";
        let first = acquire(name).await.expect("Web Locks in Chromium");
        assert!(!is_free(name).await);

        let second_granted = std::rc::Rc::new(std::cell::Cell::new(false));
        let flag = second_granted.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let second = acquire(name).await;
            flag.set(second.is_some());
            next_turn().await;
            drop(second);
        });
        next_turn().await;
        assert!(!second_granted.get(), "granted while the first held it");

        drop(first);
        for _ in 0..50 {
            if second_granted.get() {
                break;
            }
            next_turn().await;
        }
        assert!(second_granted.get(), "not granted after the first let go");
        for _ in 0..50 {
            if is_free(name).await {
                return;
            }
            next_turn().await;
        }
        panic!("the second lock was not let go");
    }

    #[wasm_bindgen_test]
    async fn an_early_release_lets_the_lock_go_before_the_drop() {
        let name = "lock-test.early-release";
        let held = acquire(name).await.expect("Web Locks in Chromium");
        held.early_release().release();
        let mut free = false;
        for _ in 0..50 {
            free = is_free(name).await;
            if free {
                break;
            }
            next_turn().await;
        }
        assert!(free, "the lock stayed held after its early release");
        // Another holder now: the late drop leaves it be.
        let next = acquire(name).await.expect("the lock, free again");
        drop(held);
        next_turn().await;
        assert!(
            !is_free(name).await,
            "the late drop let the next holder's lock go"
        );
        drop(next);
    }

    #[wasm_bindgen_test]
    async fn a_wait_given_up_lets_the_lock_go_once_it_comes() {
        let name = "lock-test.given-up";
        let first = acquire(name).await.expect("Web Locks in Chromium");
        // A wait that is dropped (its task cancelled) before the lock comes.
        let mut wait = Box::pin(acquire(name));
        assert!(futures::poll!(&mut wait).is_pending());
        drop(wait);
        drop(first);
        for _ in 0..50 {
            if is_free(name).await {
                return;
            }
            next_turn().await;
        }
        panic!("the lock stayed held after the wait for it was dropped");
    }
}
