# Writes INPUT's text into OUTPUT as a C++ definition of `const std::string_view VARIABLE` in
# namespace orch::api, so a data table ships inside the library (run with cmake -P).
file(READ "${INPUT}" text)
file(WRITE "${OUTPUT}"
  "// Generated from ${INPUT} by embed_text.cmake; edit that file instead.\n"
  "#include <string_view>\n\n"
  "namespace orch::api {\n"
  "extern const std::string_view ${VARIABLE};\n"
  "const std::string_view ${VARIABLE} = R\"embedded_text(${text})embedded_text\";\n"
  "}  // namespace orch::api\n")
