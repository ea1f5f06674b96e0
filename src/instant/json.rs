//! JSON through the browser's own `JSON` object.
//!
//! The Instant client reads JSON in two places, Instant's answers and the
//! stored session, and writes it for request bodies and storage. The browser
//! parses and writes JSON already; doing it in Rust instead ships a parser
//! and float tables in the wasm (measured: serde_json 26 KB gzip more,
//! miniserde 10 KB more; README, Performance).
//!
//! Only the browser build calls these (natively there is no fetch and no
//! storage); outside wasm they panic, like every js-sys call.

use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::{JsCast as _, JsValue};

/// Parses JSON text; `None` when it is not JSON.
pub(crate) fn parse(text: &str) -> Option<JsValue> {
    JSON::parse(text).ok()
}

/// `value` as compact JSON text (`undefined` gives an empty string).
pub(crate) fn stringify(value: &JsValue) -> String {
    JSON::stringify(value)
        .ok()
        .and_then(|text| text.as_string())
        .unwrap_or_default()
}

/// `value` when it is a JSON object (not null, not an array).
pub(crate) fn as_object(value: &JsValue) -> Option<&Object> {
    (value.is_object() && !Array::is_array(value)).then(|| value.unchecked_ref())
}

/// The object's own field `name`; `None` when it is missing or `null`.
/// (Own fields only: `constructor` and the like are not fields of the JSON.)
pub(crate) fn field(object: &Object, name: &str) -> Option<JsValue> {
    let key = JsValue::from_str(name);
    if !Object::has_own(object, &key) {
        return None;
    }
    Reflect::get(object, &key)
        .ok()
        .filter(|value| !value.is_null() && !value.is_undefined())
}

/// The object's own fields, in the order of the JSON text.
pub(crate) fn entries(object: &Object) -> Vec<(String, JsValue)> {
    Object::entries(object)
        .iter()
        .filter_map(|entry| {
            let pair: Array = entry.dyn_into().ok()?;
            Some((pair.get(0).as_string()?, pair.get(1)))
        })
        .collect()
}

/// JSON text of an object with these fields, in this order.
pub(crate) fn object_text(fields: &[(&str, JsValue)]) -> String {
    let object = Object::new();
    for (name, value) in fields {
        // Setting a field of a fresh plain object cannot fail.
        let _ = Reflect::set(&object, &JsValue::from_str(name), value);
    }
    stringify(&object)
}
