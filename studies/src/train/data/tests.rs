use super::*;

fn strat(f: f64) -> Split {
    Split::Stratified {
        test_fraction: f,
        seed: 3,
    }
}

/// `text` parsed with the last column as the label.
fn last(text: &str, split: Split, scaling: Scaling) -> Dataset {
    parse(text, "t.csv", &LabelColumn::Last, split, scaling).unwrap()
}

fn err(text: &str, label: &LabelColumn) -> String {
    parse(text, "t.csv", label, strat(0.5), Scaling::PerFeature)
        .unwrap_err()
        .to_string()
}

#[test]
fn a_header_is_detected_and_the_label_may_be_named() {
    let text = "a, b ,kind\n1,10,0\n2,20,1\n3,30,0\n4,40,1\n";
    let d = parse(
        text,
        "t.csv",
        &LabelColumn::Last,
        strat(0.5),
        Scaling::PerFeature,
    )
    .unwrap();
    assert_eq!(
        (d.features, d.classes, d.train.len(), d.test.len()),
        (2, 2, 2, 2)
    );
    assert_eq!(d.label_column, "3 ('kind')");
    let named = LabelColumn::Named("a".into());
    let text = "a,b,c\n0,0.5,7\n1,1.5,8\n1,2.5,9\n0,3.5,9\n";
    let d = parse(text, "t.csv", &named, strat(0.5), Scaling::PerFeature).unwrap();
    assert_eq!(d.features, 2);
    // Without a header, a label column is named by its index.
    let d = parse(
        "5,0\n6,1\n7,0\n8,1\n",
        "t.csv",
        &LabelColumn::Named("1".into()),
        strat(0.5),
        Scaling::Global,
    )
    .unwrap();
    assert_eq!(d.classes, 2);
}

#[test]
fn bad_input_names_the_line_and_column() {
    let last = LabelColumn::Last;
    assert!(err("1,2,0\n1,0\n", &last).contains("t.csv line 2: 2 fields, but the first line has 3"));
    assert!(err("x,y,l\n1,2,0\n1,abc,1\n", &last)
        .contains("line 3 column 2 ('y'): 'abc' is not a finite number"));
    assert!(err("1,2,0\n1,2,1.5\n", &last)
        .contains("line 2 column 3: label '1.5' is not a non-negative integer"));
    assert!(err("1,2,-1\n", &last).contains("label '-1'"));
    assert!(err("1,2,3\n4,5,3\n", &last).contains("1 class only"));
    assert!(err("1,nan,0\n2,3,1\n", &last).contains("'nan' is not a finite number"));
    assert!(err("", &last).contains("no samples"));
    assert!(err("a,b\n1,0\n", &LabelColumn::Named("z".into()))
        .contains("no such column (its header: a, b"));
    let d = parse(
        "1,0\n2,1\n3,7\n4,1\n",
        "t.csv",
        &last,
        strat(0.5),
        Scaling::Global,
    )
    .unwrap();
    let e = d.check_network(1, 4).unwrap_err().to_string();
    assert!(
        e.contains("t.csv line 3 column 2: label 7 needs 8 classes"),
        "{e}"
    );
    assert!(d
        .check_network(2, 10)
        .unwrap_err()
        .to_string()
        .contains("1 features"));
}

#[test]
fn the_stratified_split_keeps_each_class_share_and_follows_its_seed() {
    let mut text = String::new();
    for i in 0..300 {
        let label = if i % 3 == 0 { 1 } else { 0 };
        text += &format!("{i},{},{label}\n", i * 2);
    }
    let d = last(&text, strat(0.2), Scaling::PerFeature);
    assert_eq!(d.test.len(), 60);
    assert_eq!(d.test.iter().filter(|s| s.label == 1).count(), 20);
    let again = last(&text, strat(0.2), Scaling::PerFeature);
    assert_eq!(again.test, d.test);
    let other = Split::Stratified {
        test_fraction: 0.2,
        seed: 4,
    };
    let other = last(&text, other, Scaling::PerFeature);
    assert_ne!(other.test, d.test);
    // Training features span [0, 1] exactly; the ranges come from the training split only.
    for f in 0..2 {
        let lo = d.train.iter().map(|s| s.x[f]).fold(f64::INFINITY, f64::min);
        let hi = d
            .train
            .iter()
            .map(|s| s.x[f])
            .fold(f64::NEG_INFINITY, f64::max);
        assert_eq!((lo, hi), (0.0, 1.0));
    }
    assert_eq!(d.scale.hi[1], 2.0 * d.scale.hi[0]);
}

#[test]
fn a_constant_feature_scales_to_zero_and_test_values_may_leave_the_range() {
    let text = "5,1,0\n5,2,1\n5,3,0\n5,9,1\n";
    let d = parse(
        text,
        "t.csv",
        &LabelColumn::Last,
        Split::First { train: 3 },
        Scaling::PerFeature,
    )
    .unwrap();
    assert_eq!(d.train[0].x, vec![0.0, 0.0]);
    assert_eq!(d.test[0].x, vec![0.0, 4.0]);
}

#[test]
fn synthetic_data_has_every_class_and_is_seeded() {
    let text = synthetic_csv(5, 3, 90, 0.5, 1);
    assert_eq!(text, synthetic_csv(5, 3, 90, 0.5, 1));
    assert_ne!(text, synthetic_csv(5, 3, 90, 0.5, 2));
    let d = parse(
        &text,
        "s",
        &LabelColumn::Last,
        strat(0.2),
        Scaling::PerFeature,
    )
    .unwrap();
    assert_eq!(
        (d.features, d.classes, d.train.len() + d.test.len()),
        (5, 3, 90)
    );
}
