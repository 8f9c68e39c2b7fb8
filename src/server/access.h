// The route x role matrix of `paraderm serve`: the one table the gate (Server::Impl::guarded)
// consults before any route runs. A route missing here cannot be registered (Server::create
// fails), so a new route is denied until someone decides who may call it. docs/server.md shows
// the same table; tests/server/auth_test.cpp walks it (401 without credentials, 403 for every
// role not listed).
#pragma once

#include <array>

#include "paraderm/auth.h"

namespace paraderm::server {

inline constexpr unsigned kClinician = static_cast<unsigned>(auth::Role::kClinician);
inline constexpr unsigned kPharmacist = static_cast<unsigned>(auth::Role::kPharmacist);
inline constexpr unsigned kAdmin = static_cast<unsigned>(auth::Role::kAdmin);
inline constexpr unsigned kAnyRole = kClinician | kPharmacist | kAdmin;
inline constexpr unsigned kPublic = 0;        // no credentials needed
inline constexpr unsigned kCdsJwt = 1u << 8;  // CDS Hooks client: its own signed JWT, no session

struct RouteAccess {
  const char* method;
  const char* route;  // as registered, e.g. /api/v1/cases/{id}
  unsigned allowed;   // kPublic, kCdsJwt, or a set of role bits
};

inline constexpr std::array<RouteAccess, 35> kAccessMatrix = {{
    // The page, liveness and the API description: nothing patient-related.
    {"GET", "/", kPublic},
    {"GET", "/favicon.ico", kPublic},
    {"GET", "/static/{path}", kPublic},
    {"GET", "/healthz", kPublic},
    {"GET", "/api/openapi.json", kPublic},
    // Logging in needs no session; seeing or ending one does.
    {"POST", "/api/v1/session", kPublic},
    {"GET", "/api/v1/session", kAnyRole},
    {"DELETE", "/api/v1/session", kAnyRole},
    // Operations.
    {"GET", "/metrics", kAdmin},
    // Reference data from the KB and the pharmacovigilance store (no patient data).
    {"GET", "/api/v1/drugs", kAnyRole},
    {"GET", "/api/v1/drugs/{id}", kAnyRole},
    {"GET", "/api/v1/sources/{id}", kAnyRole},
    {"GET", "/api/v1/cytokines", kAnyRole},
    {"GET", "/api/v1/diseases", kAnyRole},
    {"GET", "/api/v1/labs", kAnyRole},
    {"GET", "/api/v1/pathways", kAnyRole},
    {"GET", "/api/v1/signals", kAnyRole},
    // Assessing and cases: clinicians assess and keep their own (and shared) cases; pharmacists
    // read every case and write feedback on it.
    {"POST", "/api/v1/assess", kClinician},
    {"POST", "/api/v1/cases", kClinician},
    {"GET", "/api/v1/cases", kClinician | kPharmacist},
    {"GET", "/api/v1/cases/{id}", kClinician | kPharmacist},
    {"POST", "/api/v1/cases/{id}/labs", kClinician},
    {"GET", "/api/v1/cases/{id}/assessments", kClinician | kPharmacist},
    {"POST", "/api/v1/cases/{id}/assessments", kClinician},
    {"POST", "/api/v1/cases/{id}/share", kClinician},
    {"POST", "/api/v1/cases/{id}/feedback", kPharmacist},
    {"GET", "/api/v1/cds-feedback", kPharmacist | kAdmin},
    // Population screening results: patients of the whole export, for those who review them
    // (prescribers and pharmacists); admins manage accounts and see no patient data.
    {"GET", "/api/v1/screening", kClinician | kPharmacist},
    // Administration: accounts and the audit trail.
    {"GET", "/api/v1/users", kAdmin},
    {"POST", "/api/v1/users", kAdmin},
    {"PUT", "/api/v1/users/{id}", kAdmin},
    {"GET", "/api/v1/audit", kAdmin},
    // CDS Hooks: EHR clients with their own signed JWT (docs/cds-hooks.md), never a session.
    {"GET", "/cds-services", kCdsJwt},
    {"POST", "/cds-services/{id}", kCdsJwt},
    {"POST", "/cds-services/{id}/feedback", kCdsJwt},
}};

}  // namespace paraderm::server
