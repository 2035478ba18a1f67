//! Builder setters shared by every figure type.

/// `pub fn NAME(mut self, s: impl Into<String>) -> Self` for each text field named (title,
/// axis labels): written once here instead of in every figure's `impl`.
macro_rules! text_setters {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, s: impl Into<String>) -> Self {
                self.$name = s.into();
                self
            }
        )*
    };
}
pub(crate) use text_setters;
