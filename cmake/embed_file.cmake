# Writes a C++ source defining `const char* const SYMBOL` with the contents of FILE, so static
# documents (the OpenAPI file) ship inside the binary.
file(READ "${FILE}" CONTENT)
string(FIND "${CONTENT}" ")paraderm\"" CLASH)
if(NOT CLASH EQUAL -1)
  message(FATAL_ERROR "${FILE} contains the raw-string delimiter")
endif()
file(WRITE "${OUT}" "// Generated from ${FILE}; do not edit.\nnamespace ${NAMESPACE} {\nextern const char* const ${SYMBOL};\nconst char* const ${SYMBOL} = R\"paraderm(${CONTENT})paraderm\";\n}\n")
