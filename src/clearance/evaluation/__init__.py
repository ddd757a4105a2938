"""The matching quality harness: labelled sets built from the real lists, and logic-v2.

* :mod:`~clearance.evaluation.perturb`: one documented perturbation per class
  (benign, adversarial, degraded) applied to real listed names;
* :mod:`~clearance.evaluation.negatives`: hard negatives, realistic names that
  are not listed but share words or sounds with listed names;
* :mod:`~clearance.evaluation.datasets`: the real lists, name samples and
  cross-list pairs (the same party published by different authorities);
* :mod:`~clearance.evaluation.logic_v2`: nomenklatura's ``logic-v2`` as a scorer
  of clearance queries and entities, for the side-by-side comparison;
* :mod:`~clearance.evaluation.harness`: runs both and computes the figures
  ``make bench-quality`` prints.
"""
