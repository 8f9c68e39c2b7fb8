// KB ids the engine reads by name (a disease the rules look for, a lab a formula needs). They are
// part of the KB's contract with the code: `kb validate` fails when one is missing, so renaming
// one in the KB cannot silently switch a rule off. Add an id here when code starts to read it.
#pragma once

#include <array>
#include <string_view>
#include <utility>

namespace paraderm::kb {

inline constexpr std::array<std::pair<std::string_view, std::string_view>, 44> kEngineIds{{
    // assess/options.cpp: contraindications, infections, PRAC / boxed-warning risk groups, hepatic
    {"disease", "cirrhosis"},
    {"disease", "hepatitis-b"},
    {"disease", "hepatitis-c"},
    {"disease", "herpes-zoster"},
    {"disease", "latent-tuberculosis"},
    {"disease", "malignancy"},
    {"disease", "myocardial-infarction"},
    {"disease", "stroke"},
    {"disease", "tuberculosis"},
    {"disease", "venous-thromboembolism"},
    // Child-Pugh, CKD-EPI, renal rules and the infection screening results
    {"lab", "albumin"},
    {"lab", "bilirubin"},
    {"lab", "creatinine"},
    {"lab", "egfr"},
    {"lab", "inr"},
    {"lab", "hbsag"},
    {"lab", "hcv-rna"},
    {"lab", "igra"},
    {"lab", "tst"},
    // case/: active pregnancy / lactation conditions set the patient's state (build.cpp finish);
    // FHIR status observations found by their KB lab (fhir.cpp)
    {"disease", "pregnancy"},
    {"disease", "lactation"},
    {"lab", "smoking-status"},
    {"lab", "pregnancy-status"},
    {"lab", "breastfeeding-status"},
    {"lab", "weight"},
    // case/build.cpp and native.cpp: the age range (lab age, plausible); weight also for its
    // unit and plausible range
    {"lab", "age"},
    // Dosing: the adult age and the modelled dosing intervals
    {"formula_constant", "age-group.adult-min-age"},
    {"formula_constant", "dosing-interval.qd"},
    {"formula_constant", "dosing-interval.bid"},
    {"formula_constant", "kidney-function.normal-min-egfr"},
    // assess/plan.cpp: how many repeats of a periodic test the monitoring calendar lists
    {"formula_constant", "monitoring-plan.repeats"},
    // case/build.cpp: CKD-EPI 2021 reads its constants by id
    {"formula_constant", "ckd-epi-2021.multiplier"},
    {"formula_constant", "ckd-epi-2021.kappa.female"},
    {"formula_constant", "ckd-epi-2021.kappa.male"},
    {"formula_constant", "ckd-epi-2021.alpha.female"},
    {"formula_constant", "ckd-epi-2021.alpha.male"},
    {"formula_constant", "ckd-epi-2021.exponent-above-hinge"},
    {"formula_constant", "ckd-epi-2021.age-base"},
    {"formula_constant", "ckd-epi-2021.sex-factor.female"},
    {"formula_constant", "ckd-epi-2021.sex-factor.male"},
    // case/build.cpp: which equation for which age; the bedside Schwartz equation for children
    {"formula_constant", "egfr-adult-equations.min-age"},
    {"formula_constant", "bedside-schwartz-2009.k"},
    {"formula_constant", "bedside-schwartz-2009.min-age"},
    {"lab", "height"},
}};

}  // namespace paraderm::kb
