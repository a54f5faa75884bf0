"""Reports for people: report.html, figures, notebooks run on a run, CSV/XLSX exports."""
