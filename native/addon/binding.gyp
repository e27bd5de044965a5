{
  # Compiles the codec sources directly (same files as the CMake library in
  # native/codec), so the addon and the trainer can never drift apart.
  "targets": [
    {
      "target_name": "tandem_codec",
      "sources": [
        "src/addon.cpp",
        "src/js_convert.cpp",
        "src/workers.cpp",
        "src/staged_payloads.cpp",
        "../codec/src/status.cpp",
        "../codec/src/chunking.cpp",
        "../codec/src/crc32c.cpp",
        "../codec/src/index_coder.cpp",
        "../codec/src/level_coder.cpp",
        "../codec/src/topk.cpp",
        "../codec/src/quantizer.cpp",
        "../codec/src/payload_writer.cpp",
        "../codec/src/encoder.cpp",
        "../codec/src/decoder.cpp",
        "../codec/src/aggregate.cpp",
        "../codec/src/weights_digest.cpp"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "../codec/include",
        "../codec/src"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3", "-ffp-contract=off", "-Wall", "-Wextra"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": ["-ffp-contract=off"]
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17"] }
      }
    }
  ]
}
