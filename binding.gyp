{
  "targets": [
    {
      "target_name": "seqpacket",
      "sources": ["native/seqpacket.c"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
      "defines": ["_GNU_SOURCE"]
    }
  ]
}
