//! The frame model as decoders and Picasso use it.

use proj_frame::{
    Attribute, AttributeValue, FrameContent, FrameError, IdPolicy, RBBox, Rational, Result,
    TranscodingMethod, Transformation, Value, VideoCodec, VideoFrame, VideoFrameParams,
    VideoObject,
};

fn params(width: i64, height: i64) -> Result<VideoFrameParams> {
    Ok(VideoFrameParams {
        source_id: "cam-1".into(),
        fps: Rational::new("fps", 30, 1)?,
        width,
        height,
        content: FrameContent::None,
        transcoding_method: TranscodingMethod::Copy,
        codec: Some(VideoCodec::H264),
        keyframe: Some(true),
        time_base: Rational::new("timeBase", 1, 1_000_000_000)?,
        pts: 0,
        dts: None,
        duration: None,
    })
}

fn object(id: i64, bbox: RBBox) -> VideoObject {
    VideoObject {
        id,
        namespace: "detector".into(),
        label: "car".into(),
        draw_label: None,
        detection_box: bbox,
        confidence: Some(0.9),
        parent_id: None,
        track_id: None,
        track_box: None,
        attributes: Vec::new(),
    }
}

fn attribute(name: &str, persistent: bool) -> Attribute {
    Attribute {
        namespace: "classifier".into(),
        name: name.into(),
        values: vec![AttributeValue {
            value: Value::String("red".into()),
            confidence: Some(0.8),
        }],
        hint: None,
        persistent,
        hidden: false,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn constructor_validates() -> Result<()> {
    let frame = VideoFrame::new(params(1920, 1080)?)?;
    assert_eq!(
        frame.transformations(),
        [Transformation::InitialSize {
            width: 1920,
            height: 1080
        }]
    );
    assert_eq!(frame.uuid().get_version_num(), 7);
    let bad = [
        VideoFrameParams {
            width: 0,
            ..params(1, 1)?
        },
        VideoFrameParams {
            height: -5,
            ..params(1, 1)?
        },
        VideoFrameParams {
            width: 1 << 20,
            ..params(1, 1)?
        },
        VideoFrameParams {
            pts: -1,
            ..params(1, 1)?
        },
        VideoFrameParams {
            duration: Some(-1),
            ..params(1, 1)?
        },
        VideoFrameParams {
            source_id: String::new(),
            ..params(1, 1)?
        },
    ];
    for p in bad {
        assert!(
            matches!(
                VideoFrame::new(p.clone()),
                Err(FrameError::InvalidArgument { .. })
            ),
            "{p:?}"
        );
    }
    // Frames made one after another get increasing (time-ordered) ids.
    let next = VideoFrame::new(params(1920, 1080)?)?;
    assert!(next.uuid() > frame.uuid());
    Ok(())
}

/// An update cannot make a parent cycle, which `add_object` refuses
/// (person → face, then person's parent set to face).
#[test]
fn updates_cannot_make_parent_cycles() -> Result<()> {
    let mut frame = VideoFrame::new(params(640, 480)?)?;
    let bbox = RBBox::from_ltwh(0.0, 0.0, 10.0, 10.0)?;
    frame.add_object(object(1, bbox), IdPolicy::Error)?;
    frame.add_object(
        VideoObject {
            parent_id: Some(1),
            ..object(2, bbox)
        },
        IdPolicy::Error,
    )?;
    frame.add_object(
        VideoObject {
            parent_id: Some(2),
            ..object(3, bbox)
        },
        IdPolicy::Error,
    )?;
    for (id, parent) in [(1, 3), (1, 2), (2, 3), (1, 1)] {
        assert!(
            matches!(
                frame.update_object(VideoObject {
                    parent_id: Some(parent),
                    ..object(id, bbox)
                }),
                Err(FrameError::InvalidArgument { .. })
            ),
            "{id} under {parent}"
        );
        assert!(
            matches!(
                frame.add_object(
                    VideoObject {
                        parent_id: Some(parent),
                        ..object(id, bbox)
                    },
                    IdPolicy::Overwrite
                ),
                Err(FrameError::InvalidArgument { .. })
            ),
            "{id} under {parent} by overwrite"
        );
    }
    // Re-parenting without a cycle is fine, and nothing changed above.
    frame.update_object(VideoObject {
        parent_id: Some(1),
        ..object(3, bbox)
    })?;
    assert_eq!(frame.object(1)?.parent_id, None);
    assert_eq!(frame.object(2)?.parent_id, Some(1));
    Ok(())
}

#[test]
fn objects_keep_ids_parents_and_policy() -> Result<()> {
    let mut frame = VideoFrame::new(params(640, 480)?)?;
    let person = frame.add_object(
        object(1, RBBox::from_ltwh(0.0, 0.0, 10.0, 10.0)?),
        IdPolicy::Error,
    )?;
    assert_eq!(
        frame.add_object(
            object(1, RBBox::from_ltwh(0.0, 0.0, 5.0, 5.0)?),
            IdPolicy::Error
        ),
        Err(FrameError::DuplicateObjectId { id: 1 })
    );
    let other = frame.add_object(
        object(1, RBBox::from_ltwh(0.0, 0.0, 5.0, 5.0)?),
        IdPolicy::GenerateNewId,
    )?;
    assert_eq!(other, 2);
    let face = VideoObject {
        parent_id: Some(person),
        ..object(7, RBBox::from_ltwh(1.0, 1.0, 2.0, 2.0)?)
    };
    frame.add_object(face.clone(), IdPolicy::Error)?;
    let orphan = VideoObject {
        parent_id: Some(99),
        ..object(8, face.detection_box)
    };
    assert!(matches!(
        frame.add_object(orphan, IdPolicy::Error),
        Err(FrameError::InvalidArgument { .. })
    ));
    frame.delete_object(person)?;
    assert_eq!(frame.object(7)?.parent_id, None);
    assert_eq!(
        frame.delete_object(person),
        Err(FrameError::ObjectNotFound { id: person })
    );
    assert_eq!(frame.objects().map(|o| o.id).collect::<Vec<_>>(), [2, 7]);
    Ok(())
}

#[test]
fn attributes_replace_by_key_and_temporary_ones_go() -> Result<()> {
    let mut frame = VideoFrame::new(params(640, 480)?)?;
    assert_eq!(frame.set_attribute(attribute("color", false))?, None);
    assert!(frame.set_attribute(attribute("color", true))?.is_some());
    frame.set_attribute(attribute("make", false))?;
    let id = frame.add_object(
        object(0, RBBox::from_ltwh(0.0, 0.0, 1.0, 1.0)?),
        IdPolicy::Error,
    )?;
    frame.set_object_attribute(id, attribute("plate", false))?;
    frame.delete_temporary_attributes();
    assert_eq!(
        frame
            .attributes()
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>(),
        ["color"]
    );
    assert!(frame.object(id)?.attributes.is_empty());
    assert!(frame.delete_attribute("classifier", "color").is_some());
    assert!(frame.attribute("classifier", "color").is_none());
    Ok(())
}

#[test]
fn design_example_moves_the_box_centre() -> Result<()> {
    // 800x600 letterboxed into 800x800 moves a box centred at (400, 300) to
    // (400, 400); the track box moves with it.
    let mut frame = VideoFrame::new(params(800, 600)?)?;
    let id = frame.add_object(
        VideoObject {
            track_id: Some(3),
            track_box: Some(RBBox::new(400.0, 300.0, 80.0, 60.0, None)?),
            ..object(0, RBBox::new(400.0, 300.0, 100.0, 50.0, None)?)
        },
        IdPolicy::Error,
    )?;
    frame.add_transformation(Transformation::LetterBox {
        outer_width: 800,
        outer_height: 800,
        left: 0,
        top: 100,
        right: 0,
        bottom: 100,
    })?;
    frame.transform_forward()?;
    assert_eq!((frame.width(), frame.height()), (800, 800));
    assert_eq!(
        frame.transformations(),
        [Transformation::InitialSize {
            width: 800,
            height: 800
        }]
    );
    let moved = frame.object(id)?;
    assert!(close(moved.detection_box.xc, 400.0) && close(moved.detection_box.yc, 400.0));
    assert!(close(moved.detection_box.width, 100.0) && close(moved.detection_box.height, 50.0));
    let track = moved.track_box.ok_or(FrameError::ObjectNotFound { id })?;
    assert!(close(track.xc, 400.0) && close(track.yc, 400.0));
    Ok(())
}

fn model_chain() -> [Transformation; 3] {
    [
        Transformation::Crop {
            left: 100,
            top: 40,
            right: 20,
            bottom: 40,
        },
        Transformation::LetterBox {
            outer_width: 640,
            outer_height: 640,
            left: 0,
            top: 140,
            right: 0,
            bottom: 140,
        },
        Transformation::Padding {
            left: 8,
            top: 8,
            right: 8,
            bottom: 8,
        },
    ]
}

#[test]
fn rotated_boxes_go_forward_and_back_unchanged() -> Result<()> {
    let original = object(0, RBBox::new(700.0, 500.0, 120.0, 40.0, Some(20.0))?);
    let with_chain = |bbox: RBBox| -> Result<VideoFrame> {
        let mut frame = VideoFrame::new(params(1920, 1080)?)?;
        frame.add_object(
            VideoObject {
                detection_box: bbox,
                ..original.clone()
            },
            IdPolicy::Error,
        )?;
        for step in model_chain() {
            frame.add_transformation(step)?;
        }
        Ok(frame)
    };
    // Camera → model input: 1800x1000 after the crop, scaled into 640x360
    // (x by 640/1800, y by 360/1000), then 8 px of padding.
    let mut frame = with_chain(original.detection_box)?;
    assert_eq!(frame.geometry()?.current_size, (656, 656));
    frame.transform_forward()?;
    let on_model = frame.object(0)?.detection_box;
    assert!(close(on_model.xc, (700.0 - 100.0) * 640.0 / 1800.0 + 8.0));
    assert!(close(on_model.yc, (500.0 - 40.0) * 0.36 + 140.0 + 8.0));
    // A detection on the model input → camera coordinates.
    let mut detections = with_chain(on_model)?;
    detections.transform_backward()?;
    assert_eq!((detections.width(), detections.height()), (1920, 1080));
    let back = detections.object(0)?.detection_box;
    let b = original.detection_box;
    assert!(close(back.xc, b.xc) && close(back.yc, b.yc), "{back:?}");
    assert!(
        close(back.width, b.width) && close(back.height, b.height),
        "{back:?}"
    );
    assert!(close(back.angle.unwrap_or(0.0), 20.0));
    Ok(())
}

#[test]
fn invalid_steps_leave_the_chain_as_it_was() -> Result<()> {
    let mut frame = VideoFrame::new(params(100, 100)?)?;
    let before = frame.transformations().to_vec();
    let result = frame.add_transformation(Transformation::Crop {
        left: 60,
        top: 0,
        right: 40,
        bottom: 0,
    });
    assert!(matches!(
        result,
        Err(FrameError::InvalidTransformation { .. })
    ));
    assert_eq!(frame.transformations(), before);
    Ok(())
}
