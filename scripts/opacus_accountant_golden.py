#!/usr/bin/env python3
"""Prints Opacus 1.6's RDP-accountant figures as Swift array literals for Tests/PrivacyTests/RDPAccountantTests.swift.

Runs Opacus's own code (accountants/analysis/rdp.py, accountants/rdp.py's RDPAccountant and
accountants/utils.py's get_noise_multiplier) without torch: `opacus/__init__` and the accountant base class
import torch, so the three files are loaded from their paths and the base class is replaced by a stub that
only holds `history` (all RDPAccountant uses of it).

    pip install 'opacus==1.6.*' --no-deps && pip install scipy numpy
    python3 scripts/opacus_accountant_golden.py

It also prints per-step RDP values by 40-digit quadrature (mpmath), a reference independent of Opacus's series.
"""
import importlib.metadata, importlib.util, os, sys, types, warnings

import mpmath

warnings.simplefilter("ignore")  # "optimal order is the largest alpha" is expected on parts of the grid
root = os.path.join(os.path.dirname(importlib.util.find_spec("opacus").origin), "accountants")


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class IAccountant:
    """Stands in for opacus.accountants.accountant.IAccountant (which imports torch)."""
    def __init__(self):
        self.history = []


package = types.ModuleType("opacus_ref")
package.__path__ = [root]
sys.modules["opacus_ref"] = package
sys.modules["opacus_ref.accountant"] = types.SimpleNamespace(IAccountant=IAccountant)
analysis = types.ModuleType("opacus_ref.analysis")
analysis.__path__ = [os.path.join(root, "analysis")]
sys.modules["opacus_ref.analysis"] = analysis
load("opacus_ref.analysis.rdp", os.path.join(root, "analysis", "rdp.py"))
RDPAccountant = load("opacus_ref.rdp", os.path.join(root, "rdp.py")).RDPAccountant
sys.modules["opacus.accountants"] = types.SimpleNamespace(create_accountant=lambda mechanism: RDPAccountant())
get_noise_multiplier = load("opacus_ref.utils", os.path.join(root, "utils.py")).get_noise_multiplier

print(f"// Opacus {importlib.metadata.version('opacus')}, scripts/opacus_accountant_golden.py")
print("// (q, sigma, steps, delta, epsilon, order)")
print("let opacusGrid: [(Double, Double, Int, Double, Double, Double)] = [")
for q in [0.001, 0.004, 0.01, 0.05, 0.1, 0.5, 1.0]:
    for sigma in [0.5, 0.8, 1.0, 1.5, 3.0, 10.0]:
        for steps in [1, 100, 1000, 10000]:
            for delta in [1e-5, 1e-3]:
                accountant = RDPAccountant()
                accountant.history = [(sigma, q, steps)]
                eps, order = accountant.get_privacy_spent(delta=delta)
                print(f"    ({q!r}, {sigma!r}, {steps}, {delta!r}, {eps!r}, {order!r}),")
print("]")

q = 256 / 60000
print("// (target epsilon, delta, q = 256/60000, steps = int(epochs / q), Opacus's noise multiplier)")
print("let opacusNoise: [(Double, Double, Double, Int, Double)] = [")
for target in [1.0, 3.0, 8.0]:
    for epochs in [10, 30, 60]:
        sigma = get_noise_multiplier(target_epsilon=target, target_delta=1e-5, sample_rate=q, epochs=epochs)
        print(f"    ({target!r}, 1e-05, {q!r}, {int(epochs / q)}, {sigma!r}),")
print("]")

# A_alpha = E_{z ~ N(0, sigma^2)} [((1 - q) + q exp((2z - 1) / (2 sigma^2)))^alpha] (Mironov et al. 2019, Sec. 3.3).
# The integrand is a mixture of Gaussians centred between 0 and alpha; breakpoints every sigma from -30 sigma to
# alpha + 30 sigma let the quadrature resolve each (halving the spacing changes no printed digit).
mpmath.mp.dps = 40
print("// (q, sigma, order, per-step RDP by 40-digit quadrature)")
print("let quadratureRDP: [(Double, Double, Double, Double)] = [")
for q, sigma, order in [(0.1, 1.0, 1.3), (0.01, 0.8, 5.5), (0.001, 3.0, 2.5), (0.05, 0.5, 10.9), (0.004, 1.5, 32.0),
                        (0.5, 10.0, 1.1), (1e-5, 0.5, 63.0)]:
    qm, s, a = mpmath.mpf(q), mpmath.mpf(sigma), mpmath.mpf(order)
    density = lambda z: mpmath.npdf(z, 0, s) * ((1 - qm) + qm * mpmath.exp((2 * z - 1) / (2 * s * s))) ** a
    low, high = -30 * s, a + 30 * s
    n = int((high - low) / s) + 1
    breakpoints = [-mpmath.inf] + [low + k * (high - low) / n for k in range(n + 1)] + [mpmath.inf]
    print(f"    ({q!r}, {sigma!r}, {order!r}, {float(mpmath.log(mpmath.quad(density, breakpoints)) / (a - 1))!r}),")
print("]")
