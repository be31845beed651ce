pim_pkg.sv
pim_inv.sv
