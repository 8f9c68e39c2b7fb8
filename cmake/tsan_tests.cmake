# The ThreadSanitizer test binary (preset `tsan`, scripts/sanitize.sh): the unit tests of the parts
# that run concurrently — the HTTP server (I/O thread + worker pool), the store's group commit and
# concurrent writers, accounts (argon2 concurrency limit), the CDS JWT replay cache, screening and
# the PV text readers (oneTBB pipelines) and the MGPS fits (parallel) — with the thread_local
# caches they exercise (units memo, simdjson parser, screen scratch). The rest of the suite is
# single-threaded and runs under ASan+UBSan only; a full TSan build of it would cost CI about five
# more minutes of compile time (docs/testing.md, "Sanitizers"). Test names carry a `tsan.` prefix.
find_package(GTest REQUIRED)
find_package(rapidcheck REQUIRED)
include(GoogleTest)
set(PARADERM_TSAN_TEST_SOURCES
  server/api_test.cpp server/hardening_test.cpp server/cds_hooks_test.cpp server/cds_jwt_test.cpp
  server/auth_test.cpp server/screening_test.cpp
  store/store_test.cpp store/accounts_test.cpp store/migration_test.cpp
  screen/screen_test.cpp screen/results_test.cpp
  pv/pv_test.cpp pv/mgps_fit_test.cpp)
list(TRANSFORM PARADERM_TSAN_TEST_SOURCES PREPEND ${PROJECT_SOURCE_DIR}/tests/)
add_executable(paraderm_tsan_tests ${PARADERM_TSAN_TEST_SOURCES})
target_include_directories(paraderm_tsan_tests PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_compile_definitions(paraderm_tsan_tests PRIVATE PARADERM_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  PARADERM_BINARY="$<TARGET_FILE:paraderm_cli>" BULK_SYNTH_BINARY="$<TARGET_FILE:bulk_synth>")
add_dependencies(paraderm_tsan_tests paraderm_cli bulk_synth)
target_link_libraries(paraderm_tsan_tests PRIVATE paraderm::paraderm LibArchive::LibArchive
  GTest::gtest_main rapidcheck rapidcheck_gtest nlohmann_json::nlohmann_json PkgConfig::HTTPLIB
  SQLiteCpp OpenSSL::SSL OpenSSL::Crypto fmt::fmt faers_synth paraderm_warnings)
set_target_properties(paraderm_tsan_tests PROPERTIES UNITY_BUILD OFF)
gtest_discover_tests(paraderm_tsan_tests TEST_PREFIX "tsan." DISCOVERY_TIMEOUT 120)
