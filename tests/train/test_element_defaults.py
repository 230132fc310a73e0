#!/usr/bin/python3
"""The element's defaults as the training side reads them (train/element_cli.py): from
`gst-inspect-1.0 megaclassify` of the built element, so they are the numbers the element was
compiled with (plugin/megaclassify-defaults.h), in the units the evaluation uses (ms); a
missing element is an error that says so, never a guess.

Environment (set by meson): GST_PLUGIN_PATH (the build's plugin directory), GST_REGISTRY."""
import os
import re
import tempfile
import unittest

from train.element_cli import element_defaults, property_defaults

HEADER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "plugin", "megaclassify-defaults.h")

# gst-inspect-1.0's layout, with the traps: a blurb that says "Default:", a string default, a
# property without one, and a section after the properties.
CANNED = """Factory Details:
  Rank                     none (0)

Element Properties:
  end-padding         : Silence at EOS, in nanoseconds
                        flags: readable, writable
                        Unsigned Integer64. Range: 0 - 10000000000 Default: 250000000 
  labels              : The model's labels
                        flags: readable
                        Boxed pointer of type "GStrv"
  model               : Path of the model file. Default: $MEGA_MODEL_PATH if set
                        flags: readable, writable
                        String. Default: "/x/default.safetensors"
  threshold           : Smoothed posterior a label needs to be detected
                        flags: readable, writable
                        Double. Range:               0 -               1 Default:             0.5 

Element Signals:
  "fake" :  void user_function (GstElement* object);
                        Default: 7
"""


def header_defaults():
    """The #defines of the C header, in ms (the cross-check of what the element was built with)."""
    text = open(HEADER).read()

    def define(name):
        return re.search(rf"#define\s+MEGACLASSIFY_DEFAULT_{name}\s+(.+)", text).group(1).split("/*")[0].strip()

    def ms(name):
        value, unit = re.fullmatch(r"\(\s*([0-9.]+)\s*\*\s*GST_(MSECOND|SECOND)\s*\)", define(name)).groups()
        return float(value) * (1000.0 if unit == "SECOND" else 1.0)

    return {"threshold": float(define("THRESHOLD")), "smoothing_ms": ms("SMOOTHING"),
            "suppression_ms": ms("SUPPRESSION"), "minimum_count": int(define("MINIMUM_COUNT")),
            "end_padding_ms": ms("END_PADDING")}


class ElementDefaultsTest(unittest.TestCase):
    def test_parser_reads_only_the_property_lines(self):
        self.assertEqual(property_defaults(CANNED), {"end-padding": "250000000", "model": '"/x/default.safetensors"',
                                                     "threshold": "0.5"})

    def test_built_element_gives_the_header_defaults_in_ms(self):
        got = element_defaults()
        self.assertEqual(got, header_defaults())
        self.assertEqual(sorted(got), ["end_padding_ms", "minimum_count", "smoothing_ms", "suppression_ms",
                                       "threshold"])
        self.assertIsInstance(got["minimum_count"], int)
        for key in ("threshold", "smoothing_ms", "suppression_ms", "end_padding_ms"):
            self.assertIsInstance(got[key], float, key)

    def test_missing_element_is_an_error(self):
        saved = {k: os.environ.get(k) for k in ("GST_PLUGIN_PATH", "GST_PLUGIN_SYSTEM_PATH", "GST_REGISTRY")}
        with tempfile.TemporaryDirectory() as empty:
            os.environ.update(GST_PLUGIN_PATH=empty, GST_PLUGIN_SYSTEM_PATH=empty,
                              GST_REGISTRY=os.path.join(empty, "registry.bin"))
            try:
                with self.assertRaisesRegex(RuntimeError, "gst-inspect-1.0 megaclassify"):
                    element_defaults()
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v


if __name__ == "__main__":
    unittest.main()
