"""Warfarin population PK model of Nyberg et al. 2014 (read by `symfisher popdesign`; never executed)."""

responses = "DOSE*F*KA/(V*(KA - CL/V))*(exp(-CL/V*t) - exp(-KA*t))"
individual = {"CL": "lognormal", "V": "lognormal", "KA": "lognormal", "F": "fixed"}
error = "proportional"
covariates = ["DOSE"]
fixed = ["F"]
theta = {
    "CL": 0.15,
    "V": 8,
    "KA": 1,
    "F": 1,
    "omega2_CL": 0.07,
    "omega2_V": 0.02,
    "omega2_KA": 0.6,
    "sigma2_prop": 0.01,
}
design = {"times": [0.5, 1, 2, 6, 24, 36, 72, 120], "n": 32, "DOSE": 70}
windows = [0, 120]
min_spacing = 0.25
name = "warfarin"
