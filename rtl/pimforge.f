pim_pkg.sv
pim_xbar.sv
pim_dac.sv
pim_adc.sv
pim_shift_add.sv
pim_tile_ctrl.sv
pim_tile.sv
pim_array.sv
