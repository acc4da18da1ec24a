//! Property tests over read → analyze → lower: no input panics the compiler,
//! and every module it emits validates.

use crate::common;
use jankwasm::diag::Failure;
use proptest::prelude::*;

/// Random jank-ish source: real special forms, macros, core fns and literals,
/// combined at random so that most programs are wrong in some way.
fn form() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("nil".to_string()),
        Just("true".to_string()),
        any::<i64>().prop_map(|i| i.to_string()),
        any::<f64>().prop_map(|d| format!("{d:?}")),
        "[a-z]{1,3}".prop_map(|s| s),
        Just("x".to_string()),
        Just(":k".to_string()),
        Just("\"s\\n\"".to_string()),
        Just("%".to_string()),
        Just("&".to_string()),
        Just("+".to_string()),
        Just("recur".to_string()),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        let head = prop_oneof![
            Just("if"),
            Just("do"),
            Just("let*"),
            Just("loop*"),
            Just("fn*"),
            Just("recur"),
            Just("def"),
            Just("quote"),
            Just("try"),
            Just("catch"),
            Just("throw"),
            Just("case*"),
            Just("letfn*"),
            Just("let"),
            Just("fn"),
            Just("defn"),
            Just("when"),
            Just("cond"),
            Just("and"),
            Just("or"),
            Just("->"),
            Just("+"),
            Just("println"),
            Just("var"),
            Just("ns"),
            Just("defonce"),
            Just("map"),
        ];
        prop_oneof![
            (head, prop::collection::vec(inner.clone(), 0..4))
                .prop_map(|(h, items)| format!("({h} {})", items.join(" "))),
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|items| format!("[{}]", items.join(" "))),
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|items| format!("({})", items.join(" "))),
            prop::collection::vec(inner.clone(), 0..2)
                .prop_map(|items| format!("#({})", items.join(" "))),
            inner.prop_map(|item| format!("'{item}")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn generated_programs_compile_to_valid_modules_or_report_an_error(forms in prop::collection::vec(form(), 1..4)) {
        let text = forms.join("\n");
        match common::compile(&text, 9) {
            Ok(patch) => prop_assert!(wasmparser::Validator::new().validate_all(&patch.bytes).is_ok()),
            Err(failure) => prop_assert!(matches!(failure, Failure::Diagnostic(_)), "{failure}"),
        }
    }

    #[test]
    fn arbitrary_text_never_panics_the_compiler(text in "\\PC{0,80}") {
        if let Err(failure) = common::compile(&text, 1) {
            prop_assert!(matches!(failure, Failure::Diagnostic(_)), "{failure}");
        }
    }
}
