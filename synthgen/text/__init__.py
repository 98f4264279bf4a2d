"""The text domain: fonts, glyph layout, patterns, text styles, the text scenes and renderers,
and the text-line annotator. It plugs into the stages through their registries."""
